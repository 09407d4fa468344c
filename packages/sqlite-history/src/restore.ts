// Point-in-time restore: the newest base taken at or before T, then the frames of the generations
// after it through the last commit at or before T, written page by page as a checkpoint would
// (newest version of each page, file cut to that commit's size). The result is a plain database
// file — no WAL — published at the target path by an atomic rename.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import type { ObjectStore } from '@trustplane/kernel';
import { HistoryCorruptError, NoHistoryError, RestoreOutOfRangeError } from './errors.js';
import { localBasePath, localGenerationPath, localIndexPath } from './layout.js';
import {
  type BaseEntry,
  fsyncDirectory,
  type GenerationEntry,
  type Manifest,
  readLocalManifest,
  readStoredManifest,
} from './manifest.js';
import { type NewestPages, readIndex } from './page-index.js';
import { writeFully } from './page-writer.js';
import { readSpoolHeader, SPOOL_HEADER_BYTES, scanSpool, WindowReader } from './spool-format.js';
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
  /**
   * Of `commitsApplied`, those whose frames were located through their generation's page index
   * (the rest were found by reading the spool's records: no index, or past its valid prefix).
   */
  indexedCommits: number;
}

export interface RestoreOptions {
  now?: () => number;
  /** `false`: read every record of the spools even where a page index exists (benchmarks, tests). */
  pageIndex?: boolean;
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

/**
 * The generation's page index: the local file (the open generation's, or a sealed one's waiting
 * for its upload), else the stored object checked by size and sha-256. Undefined when there is none
 * that checks out — the restore then reads the spool's records, which it validates itself, so a
 * missing or damaged index costs time, never exactness.
 */
async function loadIndex(source: HistorySource, generation: GenerationEntry): Promise<Buffer | undefined> {
  try {
    return fs.readFileSync(localIndexPath(source.spoolDir, generation.sequence));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const object = generation.index;
  if (!object?.shipped || object.sha256 === null) return undefined;
  let bytes: Buffer;
  try {
    const { body } = await source.store.get(object.key);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    bytes = Buffer.concat(chunks);
  } catch {
    return undefined;
  }
  if (bytes.length !== object.sizeBytes) return undefined;
  return createHash('sha256').update(bytes).digest('hex') === object.sha256 ? bytes : undefined;
}

interface Applied {
  commits: number;
  /** Of `commits`, those located through the page index. */
  indexedCommits: number;
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
  index: Buffer | undefined,
  checkPages: boolean,
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
    const pages: NewestPages = { offsets: new Map(), crcs: new Map() };
    const applied: Applied = { commits: 0, indexedCommits: 0, lastCommitMs: null, reachedTarget: false };
    let dbSizePages = 0;
    let scanFrom = SPOOL_HEADER_BYTES;
    // The index's valid prefix first: the newest offset of each page without reading the frames.
    const indexed = index && readIndex(index, generation, SPOOL_HEADER_BYTES, targetMs, pages);
    if (indexed) {
      if (indexed.nextRecordOffset > reader.size) {
        throw new HistoryCorruptError(
          `generation ${generation.sequence}: the spool is shorter than its index`,
        );
      }
      applied.commits = applied.indexedCommits = indexed.commits;
      applied.lastCommitMs = indexed.lastCommitMs;
      applied.reachedTarget = indexed.reachedTarget;
      dbSizePages = indexed.dbSizePages;
      scanFrom = indexed.nextRecordOffset;
    }
    let valid = applied.commits + (applied.reachedTarget ? 1 : 0);
    // Then the records past it (none when the index covered the generation up to the target).
    for (const record of applied.reachedTarget ? [] : scanSpool(reader, header, scanFrom)) {
      valid++;
      if (record.commitTimeMs > targetMs) {
        applied.reachedTarget = true;
        break;
      }
      for (let frame = 0; frame < record.frameCount; frame++) {
        const at = record.payloadOffset + frame * frameBytes;
        const pageNumber = reader.read(at, 4)!.readUInt32BE(0);
        pages.offsets.set(pageNumber, at + WAL_FRAME_HEADER_BYTES);
        // Checked by the scan (the record's CRC-32): no index CRC applies to this version.
        pages.crcs.delete(pageNumber);
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
    if (!checkPages) pages.crcs.clear();
    if (applied.commits > 0) {
      writeNewestPages(out, reader, pages, header.pageSize, generation.sequence);
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
 * Writes each page's newest version (`pages.offsets`: page number → offset of its bytes in the
 * spool) at (n − 1) · pageSize — what a checkpoint does. The pages are read in spool order, through
 * the restore's read window: one sequential pass over the spool (a few large reads, disk-friendly
 * when the spool is not in the page cache — the page index spares the scan that used to warm it),
 * each page copied into a run of consecutive page numbers (up to 1 MiB) written with one `pwrite`
 * when the run breaks. A page located through the index is checked against the index's CRC-32 of
 * it: the spool no longer holding what was recorded is `HistoryCorruptError`.
 */
function writeNewestPages(
  out: number,
  reader: WindowReader,
  pages: NewestPages,
  pageSize: number,
  sequence: number,
): void {
  const inSpoolOrder = Array.from(
    pages.offsets,
    ([pageNumber, offset]) => [offset, pageNumber] as const,
  ).sort((a, b) => a[0] - b[0]);
  const perRun = Math.max(1, Math.floor(RUN_BYTES / pageSize));
  const run = Buffer.allocUnsafe(perRun * pageSize);
  let runFirst = 0;
  let runCount = 0;
  const flush = () => {
    if (runCount > 0) writeFully(out, run.subarray(0, runCount * pageSize), (runFirst - 1) * pageSize);
    runCount = 0;
  };
  for (const [offset, pageNumber] of inSpoolOrder) {
    const bytes = reader.read(offset, pageSize);
    if (!bytes) {
      throw new HistoryCorruptError(`generation ${sequence}: page ${pageNumber} is missing from the spool`);
    }
    const expected = pages.crcs.get(pageNumber);
    if (expected !== undefined && crc32(bytes) !== expected) {
      throw new HistoryCorruptError(
        `generation ${sequence}: page ${pageNumber} at spool offset ${offset} does not match its index`,
      );
    }
    if (runCount === 0 || pageNumber !== runFirst + runCount || runCount === perRun) {
      flush();
      runFirst = pageNumber;
    }
    bytes.copy(run, runCount * pageSize);
    runCount++;
  }
  flush();
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
  let indexedCommits = 0;
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
        // The index before the spool: a local index read before its spool is shipped and deleted
        // still describes the stored spool byte for byte.
        const index = options.pageIndex === false ? undefined : await loadIndex(source, entry);
        const { file, temporary } = await openGeneration(source, entry, outputDir);
        try {
          // A downloaded spool was checked whole (sha-256): its pages need no CRC-32 of their own.
          const applied = applyGeneration(file, entry, out, targetMs, window, index, !temporary);
          commitsApplied += applied.commits;
          indexedCommits += applied.indexedCommits;
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
    return { restoredToMs, sizeBytes, commitsApplied, baseSequence: base.sequence, indexedCommits };
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}
