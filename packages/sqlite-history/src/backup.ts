// Backups: a checkpointed copy of the database stored as one object with its size and sha-256.
// A restore re-hashes the object while copying it out and publishes the copy only if it matches,
// so a corrupt backup never reaches the live file.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ObjectNotFoundError, type ObjectStore } from '@trustplane/kernel';
import { BackupCorruptError } from './errors.js';
import { fsyncDirectory } from './manifest.js';

export interface BackupObject {
  key: string;
  sizeBytes: number;
  /** Hex sha-256 of the database file. */
  sha256: string;
}

/** Stores the checkpointed copy at `filePath` under `key` (never over an existing object). */
export async function storeBackup(store: ObjectStore, key: string, filePath: string): Promise<BackupObject> {
  const stored = await store.put(key, fs.createReadStream(filePath), {
    contentType: 'application/vnd.sqlite3',
    createOnly: true,
  });
  return { key, sizeBytes: stored.size, sha256: stored.sha256 };
}

/** Streams the object through a hash (and into `sink` when given); size and hash of what was read. */
async function hashObject(
  store: ObjectStore,
  backup: BackupObject,
  sinkPath?: string,
): Promise<{ sizeBytes: number; sha256: string } | undefined> {
  let body: NodeJS.ReadableStream;
  try {
    body = (await store.get(backup.key)).body;
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      callback(null, sinkPath ? chunk : undefined);
    },
  });
  if (sinkPath) await pipeline(body, meter, fs.createWriteStream(sinkPath));
  else
    await pipeline(body, meter, async (source: AsyncIterable<unknown>) => {
      for await (const _ of source);
    });
  return { sizeBytes, sha256: hash.digest('hex') };
}

function matches(backup: BackupObject, actual: { sizeBytes: number; sha256: string } | undefined): boolean {
  return actual !== undefined && actual.sizeBytes === backup.sizeBytes && actual.sha256 === backup.sha256;
}

/** Re-hashes the stored backup; `BackupCorruptError` when it is missing or differs from the record. */
export async function verifyBackup(store: ObjectStore, backup: BackupObject): Promise<void> {
  const actual = await hashObject(store, backup);
  if (!matches(backup, actual)) throw new BackupCorruptError(backup.key, backup, actual);
}

/**
 * Copies the backup to `outputPath` (atomically replaced) after checking it hashes to the record;
 * on a mismatch nothing is written there and `BackupCorruptError` is thrown. The host then swaps
 * the file in.
 */
export async function restoreBackup(
  store: ObjectStore,
  backup: BackupObject,
  outputPath: string,
): Promise<void> {
  const outputDir = path.dirname(path.resolve(outputPath));
  const temp = path.join(outputDir, `.${path.basename(outputPath)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const actual = await hashObject(store, backup, temp);
    if (!matches(backup, actual)) throw new BackupCorruptError(backup.key, backup, actual);
    const fd = fs.openSync(temp, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, outputPath);
    fsyncDirectory(outputDir);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

export async function deleteBackup(store: ObjectStore, backup: Pick<BackupObject, 'key'>): Promise<void> {
  await store.delete(backup.key);
}
