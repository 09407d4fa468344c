// The manifest: the ordered list of a database's bases and generations, so that a restore reads
// one small file and then exactly the objects it needs (the object store is never listed).
import fs from 'node:fs';
import path from 'node:path';
import type { ObjectStore } from '@trustplane/kernel';
import { ObjectNotFoundError } from '@trustplane/kernel';
import { HistoryCorruptError } from './errors.js';

export interface BaseEntry {
  type: 'base';
  sequence: number;
  /** Object key of the database file copy. */
  key: string;
  /** When the copy was taken; a restore to T starts from the newest base taken at or before T. */
  takenAtMs: number;
  /** The commit time of the newest change the copy holds (what a restore to it reports). */
  stateTimeMs: number;
  sizeBytes: number;
  /** Hex sha-256 of the copy; set once it has been hashed on its way to the object store. */
  sha256: string | null;
  /** Kept bases (backups) outlive the retention window's pruning of the history: only the entry goes. */
  kept: boolean;
  shipped: boolean;
  /** The database file as it was copied: unchanged size and mtime at a restart mean no new base is needed. */
  databaseFile: { sizeBytes: number; mtimeMs: number } | null;
  /**
   * Committed WAL frames folded into this base (a base taken with a non-empty WAL): the generation
   * after it continues reading that WAL here instead of from its first frame.
   */
  walContinuation: WalPosition | null;
}

export interface WalPosition {
  salt1: number;
  salt2: number;
  offset: number;
  checksum1: number;
  checksum2: number;
}

export interface GenerationEntry {
  type: 'generation';
  sequence: number;
  key: string;
  pageSize: number;
  salt1: number;
  salt2: number;
  firstCommitMs: number | null;
  lastCommitMs: number | null;
  commits: number;
  sealed: boolean;
  /** Hex sha-256 of the sealed spool, checked when it is read back from the object store. */
  sha256: string | null;
  sizeBytes: number;
  shipped: boolean;
  /**
   * The page index written at seal time (`page-index.ts`); absent in manifests written before it
   * existed and when it could not be written — a restore then replays the generation's frames.
   */
  index?: IndexObject | null;
}

/** A sealed generation's page index as an object: checked by size and sha-256 when read back. */
export interface IndexObject {
  key: string;
  sizeBytes: number;
  sha256: string | null;
  shipped: boolean;
}

export type ManifestEntry = BaseEntry | GenerationEntry;

export interface Manifest {
  version: 1;
  nextSequence: number;
  entries: ManifestEntry[];
}

export const MANIFEST_FILE = 'manifest.json';

export function emptyManifest(): Manifest {
  return { version: 1, nextSequence: 1, entries: [] };
}

function parseManifest(text: string, where: string): Manifest {
  let parsed: Manifest;
  try {
    parsed = JSON.parse(text) as Manifest;
  } catch {
    throw new HistoryCorruptError(`the history manifest at ${where} is not valid JSON`);
  }
  if (parsed?.version !== 1 || !Array.isArray(parsed.entries)) {
    throw new HistoryCorruptError(`the history manifest at ${where} has an unknown format`);
  }
  return parsed;
}

/** The local manifest of `spoolDir`, or undefined when there is none yet. */
export function readLocalManifest(spoolDir: string): Manifest | undefined {
  const file = path.join(spoolDir, MANIFEST_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseManifest(text, file);
}

export function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replaces the local manifest atomically and durably (write a sibling, fsync, rename, fsync the dir). */
export function writeLocalManifest(spoolDir: string, manifest: Manifest): void {
  const file = path.join(spoolDir, MANIFEST_FILE);
  const temp = `${file}.tmp`;
  const fd = fs.openSync(temp, 'w');
  try {
    fs.writeSync(fd, JSON.stringify(manifest));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
  fsyncDirectory(spoolDir);
}

export function manifestKey(keyPrefix: string): string {
  return `${keyPrefix}/${MANIFEST_FILE}`;
}

export async function readStoredManifest(
  store: ObjectStore,
  keyPrefix: string,
): Promise<Manifest | undefined> {
  let body: NodeJS.ReadableStream;
  try {
    body = (await store.get(manifestKey(keyPrefix))).body;
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return parseManifest(Buffer.concat(chunks).toString('utf8'), manifestKey(keyPrefix));
}
