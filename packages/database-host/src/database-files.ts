import fs from 'node:fs';
import path from 'node:path';
import { DatabaseHostError } from './errors.js';

/** Ids become file names: letters, digits, `_` and `-` only, so no id can name a path elsewhere. */
const DATABASE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function checkDatabaseId(databaseId: unknown): string {
  if (typeof databaseId !== 'string' || !DATABASE_ID.test(databaseId))
    throw new DatabaseHostError(
      'INVALID_DATABASE_ID',
      'a database id is 1–128 letters, digits, `_` or `-`, starting with a letter or digit',
    );
  return databaseId;
}

export interface DatabasePaths {
  database: string;
  wal: string;
  shm: string;
}

export function databasePaths(directory: string, databaseId: string): DatabasePaths {
  const database = path.join(directory, `${checkDatabaseId(databaseId)}.sqlite`);
  return { database, wal: `${database}-wal`, shm: `${database}-shm` };
}

/**
 * Which host owns a database: FNV-1a of its id, modulo the host count. Stable for a given count,
 * so every request for a file goes to the one process that has it open.
 */
export function hostIndexFor(databaseId: string, hosts: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < databaseId.length; index += 1) {
    hash ^= databaseId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % hosts;
}

/** Size of a file, 0 when it does not exist. */
export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/** Makes a rename, link or unlink in `directory` durable. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await fs.promises.open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function syncFile(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** The file starts with SQLite's header (checked before a file replaces a live one). */
export async function isSqliteFile(file: string): Promise<boolean> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const header = Buffer.alloc(SQLITE_HEADER.length);
    const { bytesRead } = await handle.read(header, 0, header.length, 0);
    return bytesRead === header.length && header.equals(SQLITE_HEADER);
  } finally {
    await handle.close();
  }
}

/**
 * The `user_version` in a SQLite file's header (4 bytes, big-endian, at offset 60), read from the
 * file itself: meant for a file nobody writes to (a checkpointed copy, a restore before its swap),
 * whose WAL is empty. 0 for a file shorter than its header (a database with no page yet).
 */
export function fileUserVersion(filePath: string): number {
  const header = Buffer.alloc(100);
  const descriptor = fs.openSync(filePath, 'r');
  try {
    if (fs.readSync(descriptor, header, 0, 100, 0) < 100) return 0;
  } finally {
    fs.closeSync(descriptor);
  }
  return header.readInt32BE(60);
}
