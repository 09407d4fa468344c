// A database the way database-host owns one — libsql, WAL, synchronous=FULL, no autocheckpoint —
// with the recorder called from the same places the host calls it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalObjectStore, type LocalObjectStore } from '@trustplane/kernel';
import Database from 'libsql';
import type { HistoryRecorder } from '../../src/index.js';

export type SqliteDatabase = InstanceType<typeof Database>;

export function openDatabase(file: string, options: { autoVacuum?: boolean } = {}): SqliteDatabase {
  const db = new Database(file);
  if (options.autoVacuum) db.pragma('auto_vacuum = FULL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('wal_autocheckpoint = 0');
  return db;
}

export function createStore(dir: string): LocalObjectStore {
  return createLocalObjectStore({
    rootDir: dir,
    signingSecret: 'history-test-secret-history-test',
    publicBaseUrl: 'http://localhost:1',
  });
}

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Every row of `items`, ordered, as one comparable string. */
export function contentOf(db: SqliteDatabase): string {
  return JSON.stringify(db.prepare('SELECT id, v FROM items ORDER BY id').raw().all());
}

export function contentOfFile(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return contentOf(db);
  } finally {
    db.close();
  }
}

export function integrityOf(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return String((db.prepare('PRAGMA integrity_check').raw().get() as unknown[])[0]);
  } finally {
    db.close();
  }
}

/**
 * The database as of now, checkpointed, without touching the live file: the file and its WAL are
 * copied aside, opened there, and checkpointed with TRUNCATE.
 */
export function checkpointedCopy(file: string, target: string): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-copy-'));
  try {
    const copy = path.join(dir, 'copy.db');
    fs.copyFileSync(file, copy);
    if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
    const db = new Database(copy);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    fs.copyFileSync(copy, target);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A checkpoint as the host runs it: sealed before, TRUNCATE, a base after. */
export async function checkpoint(db: SqliteDatabase, recorder: HistoryRecorder, kept = false) {
  recorder.beforeCheckpoint();
  db.pragma('wal_checkpoint(TRUNCATE)');
  return recorder.afterCheckpoint({ kept });
}

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    state ^= state + Math.imul(state ^ (state >>> 7), state | 61);
    return ((state ^ (state >>> 14)) >>> 0) / 4294967296;
  };
}
