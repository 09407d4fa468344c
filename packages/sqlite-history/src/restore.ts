// Point-in-time restore: the newest base taken at or before T, then the frames of the generations
// after it through the last commit at or before T, written page by page as a checkpoint would
// (newest version of each page, file cut to that commit's size). The result is a plain database
// file — no WAL — published at the target path by an atomic rename.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from '@trustplane/kernel';
import { HistoryCorruptError, NoHistoryError, RestoreOutOfRangeError } from './errors.js';
import { localBasePath, localGenerationPath } from './layout.js';
import {
  type BaseEntry,
  fsyncDirectory,
  type GenerationEntry,
  type Manifest,
  readLocalManifest,
  readStoredManifest,
} from './manifest.js';
import { readFully, writeFully } from './page-writer.js';
import { readSpoolHeader, scanSpool, WindowReader } from './spool-format.js';
import { WAL_FRAME_HEADER_BYTES } from './wal-format.js';

export interface HistorySource {
  /** The recorder's spool directory: the open generation and not-yet-shipped objects live there. */
  spoolDir: string;
  store: ObjectStore;
  keyPrefix: string;
}

export interface HistoryRange {
  /** The earliest instant a restore can reach: when the oldest base still kept was taken. */
  fromMs: number;
  /** The latest: now. */
  toMs: number;
}

export interface RestoreResult {
  /** Commit time of the last change the restored file holds. */
  restoredToMs: number;
  sizeBytes: number;
  /** How many commits were replayed on top of the base. */
  commitsApplied: number;
  baseSequence: number;
}

export interface RestoreOptions {
  now?: () => number;
}

async function loadManifest(source: HistorySource): Promise<Manifest> {
  const manifest =
    readLocalManifest(source.spoolDir) ?? (await readStoredManifest(source.store, source.keyPrefix));
  if (!manifest?.entries.some((entry) => entry.type === 'base')) {
    throw new NoHistoryError(source.keyPrefix);
  }
  return manifest;
}

function rangeOf(manifest: Manifest, nowMs: number): HistoryRange {
  const firstBase = manifest.entries.find((entry): entry is BaseEntry => entry.type === 'base')!;
  return { fromMs: firstBase.takenAtMs, toMs: nowMs };
}

export async function historyRange(
  source: HistorySource,
  options: RestoreOptions = {},
): Promise<HistoryRange> {
  return rangeOf(await loadManifest(source), (options.now ?? Date.now)());
}

function hashingTransform(hash: ReturnType<typeof createHash>, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      counter.bytes += chunk.length;
      callback(null, chunk);
    },
  });
}

/** Copies an object to `file`, refusing it unless it has the recorded size and hash. */
async function downloadVerified(
  store: ObjectStore,
  entry: { key: string; sha256: string | null; sizeBytes: number },
  file: string,
): Promise<void> {
  const { body } = await store.get(entry.key);
  const hash = createHash('sha256');
  const counter = { bytes: 0 };
  await pipeline(body, hashingTransform(hash, counter), fs.createWriteStream(file));
  const sha256 = hash.digest('hex');
  if (counter.bytes !== entry.sizeBytes || (entry.sha256 !== null && sha256 !== entry.sha256)) {
    throw new HistoryCorruptError(
      `${entry.key}: ${counter.bytes} bytes hashing to ${sha256}, recorded ${entry.sizeBytes} bytes hashing to ${entry.sha256}`,
    );
  }
}

/** Copies the base into `file`: the local copy while it waits for upload, else the stored object. */
async function materializeBase(source: HistorySource, base: BaseEntry, file: string): Promise<void> {
  try {
    fs.copyFileSync(localBasePath(source.spoolDir, base.sequence), file, fs.constants.COPYFILE_FICLONE);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Uploaded bases are deleted locally only after the upload succeeded, so the object is there.
  await downloadVerified(source.store, base, file);
}

/** A readable spool file for the generation, and whether it is a temporary download. */
async function openGeneration(
  source: HistorySource,
  generation: GenerationEntry,
  tempDir: string,
): Promise<{ file: string; temporary: boolean }> {
  const local = localGenerationPath(source.spoolDir, generation.sequence);
  if (fs.existsSync(local)) return { file: local, temporary: false };
  const file = path.join(tempDir, `restore-${randomBytes(6).toString('hex')}.spool.tmp`);
  try {
    await downloadVerified(source.store, generation, file);
  } catch (error) {
    fs.rmSync(file, { force: true });
    // The local file may have been shipped and deleted between the check and the download's start.
    if (fs.existsSync(local)) return { file: local, temporary: false };
    throw error;
  }
  return { file, temporary: true };
}

const WINDOW_BYTES = 8 * 1024 * 1024;

interface Applied {
  commits: number;
  lastCommitMs: number | null;
  /** A commit after the target time was seen: later generations are not needed. */
  reachedTarget: boolean;
}

/** Applies the generation's commits stamped at or before `targetMs` to the open database file `out`. */
function applyGeneration(
  file: string,
  generation: GenerationEntry,
  out: number,
  targetMs: number,
  window: Buffer,
): Applied {
  const fd = fs.openSync(file, 'r');
  try {
    const reader = new WindowReader(fd, fs.fstatSync(fd).size, window);
    const header = readSpoolHeader(reader);
    if (
      !header ||
      header.sequence !== generation.sequence ||
      header.salt1 !== generation.salt1 ||
      header.salt2 !== generation.salt2
    ) {
      throw new HistoryCorruptError(`generation ${generation.sequence}: the spool header does not match`);
    }
    const frameBytes = WAL_FRAME_HEADER_BYTES + header.pageSize;
    const pages = new Map<number, number>();
    const applied: Applied = { commits: 0, lastCommitMs: null, reachedTarget: false };
    let dbSizePages = 0;
    let valid = 0;
    for (const record of scanSpool(reader, header)) {
      valid++;
      if (record.commitTimeMs > targetMs) {
        applied.reachedTarget = true;
        break;
      }
      for (let index = 0; index < record.frameCount; index++) {
        const at = record.payloadOffset + index * frameBytes;
        pages.set(reader.read(at, 4)!.readUInt32BE(0), at + WAL_FRAME_HEADER_BYTES);
      }
      dbSizePages = record.dbSizePages;
      applied.commits++;
      applied.lastCommitMs = record.commitTimeMs;
    }
    // A sealed generation must be whole: a missing commit would make every later one wrong. The
    // open one may end in a torn record (a crash mid-append), which was never acknowledged.
    if (generation.sealed && !applied.reachedTarget && valid < generation.commits) {
      throw new HistoryCorruptError(
        `generation ${generation.sequence}: ${valid} of ${generation.commits} commits readable`,
      );
    }
    if (applied.commits > 0) {
      writeNewestPages(out, fd, pages, header.pageSize);
      fs.ftruncateSync(out, dbSizePages * header.pageSize);
    }
    return applied;
  } finally {
    fs.closeSync(fd);
  }
}

/** Pages per coalesced write: 1 MiB of 4 KiB pages. */
const RUN_BYTES = 1024 * 1024;

/**
 * Writes each page's newest version (`pages`: page number → offset of its bytes in the spool),
 * page n at (n − 1) · pageSize — what a checkpoint does. Pages are taken in page-number order and
 * each run of consecutive page numbers (up to 1 MiB) is gathered with one positioned read per page
 * (the spool is in the page cache: it was just scanned) and written with one `pwrite`, so a replay
 * that touches most of the file writes it in ~1 MiB writes instead of one write per page.
 */
function writeNewestPages(out: number, spool: number, pages: Map<number, number>, pageSize: number): void {
  const numbers = [...pages.keys()].sort((a, b) => a - b);
  const perRun = Math.max(1, Math.floor(RUN_BYTES / pageSize));
  const run = Buffer.allocUnsafe(perRun * pageSize);
  let index = 0;
  while (index < numbers.length) {
    const first = numbers[index]!;
    let count = 0;
    while (index < numbers.length && numbers[index] === first + count && count < perRun) {
      readFully(spool, run, count * pageSize, pageSize, pages.get(first + count)!);
      count++;
      index++;
    }
    writeFully(out, run.subarray(0, count * pageSize), (first - 1) * pageSize);
  }
}

/**
 * Rebuilds the database as it was at `targetMs` and writes it to `outputPath` (replaced atomically;
 * the live database is never touched). Throws `RestoreOutOfRangeError` with the valid range when
 * `targetMs` is before the oldest base or in the future.
 */
export async function restoreToTime(
  source: HistorySource,
  targetMs: number,
  outputPath: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const manifest = await loadManifest(source);
  const range = rangeOf(manifest, (options.now ?? Date.now)());
  if (!Number.isFinite(targetMs) || targetMs < range.fromMs || targetMs > range.toMs) {
    throw new RestoreOutOfRangeError(targetMs, range.fromMs, range.toMs);
  }
  let baseIndex = -1;
  manifest.entries.forEach((entry, index) => {
    if (entry.type === 'base' && entry.takenAtMs <= targetMs) baseIndex = index;
  });
  const base = manifest.entries[baseIndex] as BaseEntry;
  const outputDir = path.dirname(path.resolve(outputPath));
  const temp = path.join(outputDir, `.${path.basename(outputPath)}.${randomBytes(6).toString('hex')}.tmp`);
  let restoredToMs = base.stateTimeMs;
  let commitsApplied = 0;
  try {
    await materializeBase(source, base, temp);
    const out = fs.openSync(temp, 'r+');
    // One read buffer for every pass over every spool: fresh memory costs a page fault per 4 KiB.
    const window = Buffer.allocUnsafe(WINDOW_BYTES);
    try {
      for (const entry of manifest.entries.slice(baseIndex + 1)) {
        if (entry.type === 'base') {
          if (entry.takenAtMs > targetMs) break;
          continue;
        }
        if (entry.firstCommitMs !== null && entry.firstCommitMs > targetMs) break;
        const { file, temporary } = await openGeneration(source, entry, outputDir);
        try {
          const applied = applyGeneration(file, entry, out, targetMs, window);
          commitsApplied += applied.commits;
          if (applied.lastCommitMs !== null) restoredToMs = applied.lastCommitMs;
          if (applied.reachedTarget) break;
        } finally {
          if (temporary) fs.rmSync(file, { force: true });
        }
      }
      fs.fsyncSync(out);
    } finally {
      fs.closeSync(out);
    }
    const sizeBytes = fs.statSync(temp).size;
    fs.renameSync(temp, outputPath);
    fsyncDirectory(outputDir);
    return { restoredToMs, sizeBytes, commitsApplied, baseSequence: base.sequence };
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}
