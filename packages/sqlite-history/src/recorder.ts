// The recorder runs in the process that owns the database file and is told about every commit and
// checkpoint. It copies each transaction's WAL frames into the open generation's spool (fsync'd
// before `afterCommit` returns), seals the generation when a checkpoint resets the WAL, takes a base
// (a copy of the checkpointed file) after it, and ships sealed generations and bases to the object
// store in the background.
import fs from 'node:fs';
import path from 'node:path';
import type { ObjectStore } from '@trustplane/kernel';
import { HistoryCorruptError } from './errors.js';
import {
  baseKey,
  generationIndexKey,
  generationKey,
  localBasePath,
  localGenerationPath,
  localIndexPath,
  walPath as walPathOf,
} from './layout.js';
import {
  type BaseEntry,
  emptyManifest,
  fsyncDirectory,
  type GenerationEntry,
  type Manifest,
  manifestKey,
  readLocalManifest,
  type WalPosition,
  writeLocalManifest,
} from './manifest.js';
import { encodeIndexBlock, encodeIndexHeader } from './page-index.js';
import { foldWal } from './wal-fold.js';
import { writeFully } from './page-writer.js';
import {
  encodeRecordHeader,
  encodeSpoolHeader,
  RECORD_HEADER_BYTES,
  readSpoolHeader,
  SPOOL_HEADER_BYTES,
  scanSpool,
  WindowReader,
} from './spool-format.js';
import {
  readCommittedFrames,
  readWalHeaderAt,
  WAL_FRAME_HEADER_BYTES,
  WAL_HEADER_BYTES,
  type WalChecksum,
  type WalHeader,
} from './wal-format.js';

export interface HistoryRecorderOptions {
  /** The SQLite file (WAL mode, `wal_autocheckpoint=0`); its WAL is `<databasePath>-wal`. */
  databasePath: string;
  /** This database's local history directory: manifest, open spool, objects waiting for upload. */
  spoolDir: string;
  store: ObjectStore;
  /** Object keys of this database's history start with it, e.g. `history/<databaseId>`. */
  keyPrefix: string;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Called when a background upload fails (it is retried on the next checkpoint or `flush`). */
  onShipError?: (error: unknown) => void;
}

interface OpenGeneration {
  entry: GenerationEntry;
  fd: number;
  /** Bytes of valid records in the spool file. */
  size: number;
  bigEndianChecksum: boolean;
  walOffset: number;
  checksum: WalChecksum;
  /** The generation's page index (`page-index.ts`), appended after each spooled commit. */
  index: { fd: number; size: number } | undefined;
}

/** What the host calls around its commits and checkpoints (the database-host commit hook seam). */
export interface CommitRecorder {
  afterCommit(commitTimeMs?: number): void;
  beforeCheckpoint(): void;
  afterCheckpoint(options?: { kept?: boolean }): Promise<BaseEntry>;
}

const FICLONE = fs.constants.COPYFILE_FICLONE;

export class HistoryRecorder implements CommitRecorder {
  private readonly databasePath: string;
  private readonly walPath: string;
  private readonly spoolDir: string;
  private readonly store: ObjectStore;
  private readonly keyPrefix: string;
  private readonly now: () => number;
  private readonly onShipError: (error: unknown) => void;
  private manifest: Manifest;
  private open: OpenGeneration | undefined;
  private lastTimeMs = 0;
  /** Commit time of the newest change recorded (what a base taken now holds). */
  private lastChangeMs = 0;
  private shipping: Promise<void> = Promise.resolve();
  private closed = false;

  /**
   * Opens (or starts) the history of `databasePath`. Call it after the database is opened and
   * before its first write: it finishes what a crash interrupted — a torn spool tail is cut, frames
   * committed but not yet spooled are spooled, and when the file no longer continues the recorded
   * history (a WAL reset nobody announced, a file changed behind its back) a new base is taken.
   */
  static open(options: HistoryRecorderOptions): HistoryRecorder {
    const recorder = new HistoryRecorder(options);
    recorder.recover();
    return recorder;
  }

  private constructor(options: HistoryRecorderOptions) {
    this.databasePath = path.resolve(options.databasePath);
    this.walPath = walPathOf(this.databasePath);
    this.spoolDir = path.resolve(options.spoolDir);
    this.store = options.store;
    this.keyPrefix = options.keyPrefix;
    this.now = options.now ?? Date.now;
    this.onShipError = options.onShipError ?? (() => undefined);
    fs.mkdirSync(this.spoolDir, { recursive: true });
    this.manifest = readLocalManifest(this.spoolDir) ?? emptyManifest();
  }

  /** The manifest as it stands (a copy). */
  snapshot(): Manifest {
    return structuredClone(this.manifest);
  }

  /**
   * Spools the transactions committed since the last call, stamped `commitTimeMs` (made
   * non-decreasing), and fsyncs the spool before returning: an acknowledged commit is in the history.
   * Synchronous, so no other write can slip in between the commit and its spooling.
   */
  afterCommit(commitTimeMs: number = this.now()): void {
    this.assertOpen();
    this.catchUp(this.stamp(commitTimeMs));
  }

  /** Before a checkpoint (or a close, or a file swap): spools what is left and seals the generation. */
  beforeCheckpoint(): void {
    this.assertOpen();
    this.catchUp(this.stamp(this.now()));
    this.sealOpen();
  }

  /**
   * After a checkpoint: takes a base (a copy of the checkpointed file) and resolves once it and
   * every sealed generation are in the object store. The copy is made synchronously before the first
   * await, so the caller's write lock needs to cover only the call, not the upload. `kept` marks the
   * base as a backup: pruning the history then drops its entry but never its object.
   */
  afterCheckpoint(options: { kept?: boolean } = {}): Promise<BaseEntry> {
    this.assertOpen();
    this.sealOpen();
    const entry = this.takeBase(this.lastChangeMs || this.stamp(this.now()), options.kept ?? false);
    return this.ship().then(() => entry);
  }

  /**
   * After the file was replaced (a restore swapped in): the new content starts a new base, stamped
   * now. Call `beforeCheckpoint` before the swap so the old generation is sealed.
   */
  afterReplace(): Promise<BaseEntry> {
    this.assertOpen();
    this.sealOpen();
    this.lastChangeMs = this.stamp(this.now());
    const entry = this.takeBase(this.lastChangeMs, false);
    return this.ship().then(() => entry);
  }

  /** Resolves once every sealed generation and base is in the object store (rejects if one cannot be). */
  flush(): Promise<void> {
    return this.ship();
  }

  /**
   * Drops what a restore inside the last `windowMs` cannot need: everything older than the newest
   * base taken at or before the window's start. Kept bases lose their entry, not their object.
   */
  prune(windowMs: number): Promise<{ removedEntries: number }> {
    const cutoff = this.now() - windowMs;
    const run = this.shipping.then(async () => {
      const entries = this.manifest.entries;
      let keepFrom = -1;
      for (let index = 0; index < entries.length; index++) {
        const entry = entries[index]!;
        if (entry.type === 'base' && entry.takenAtMs <= cutoff) keepFrom = index;
      }
      if (keepFrom <= 0) return { removedEntries: 0 };
      const removed = entries.slice(0, keepFrom);
      this.manifest.entries = entries.slice(keepFrom);
      writeLocalManifest(this.spoolDir, this.manifest);
      for (const entry of removed) {
        if (entry.type === 'base' && entry.kept) continue;
        fs.rmSync(this.localPath(entry), { force: true });
        await this.store.delete(entry.key);
        if (entry.type === 'generation' && entry.index) {
          fs.rmSync(localIndexPath(this.spoolDir, entry.sequence), { force: true });
          await this.store.delete(entry.index.key);
        }
      }
      await this.putManifest();
      return { removedEntries: removed.length };
    });
    this.shipping = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Waits for uploads in flight and releases the spool file. The recorder cannot be used after. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.open) {
      fs.closeSync(this.open.fd);
      if (this.open.index) fs.closeSync(this.open.index.fd);
      this.open = undefined;
    }
    await this.shipping;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the history recorder is closed');
  }

  /** Commit times never go backwards, so the history stays ordered by time. */
  private stamp(timeMs: number): number {
    this.lastTimeMs = Math.max(this.lastTimeMs, Math.trunc(timeMs));
    return this.lastTimeMs;
  }

  private localPath(entry: BaseEntry | GenerationEntry): string {
    return entry.type === 'base'
      ? localBasePath(this.spoolDir, entry.sequence)
      : localGenerationPath(this.spoolDir, entry.sequence);
  }

  private recover(): void {
    for (const name of fs.readdirSync(this.spoolDir)) {
      if (name.endsWith('.tmp')) fs.rmSync(path.join(this.spoolDir, name), { force: true });
    }
    for (const entry of this.manifest.entries) {
      const changeMs = entry.type === 'base' ? entry.stateTimeMs : entry.lastCommitMs;
      if (changeMs !== null) this.lastChangeMs = Math.max(this.lastChangeMs, changeMs);
      if (entry.type === 'base') this.lastTimeMs = Math.max(this.lastTimeMs, entry.takenAtMs);
    }
    this.lastTimeMs = Math.max(this.lastTimeMs, this.lastChangeMs);
    const last = this.manifest.entries.at(-1);
    if (last?.type === 'generation' && !last.sealed) {
      this.reopenGeneration(last);
      const header = this.withWal((fd) => readWalHeaderAt(fd));
      if (header && header.salt1 === last.salt1 && header.salt2 === last.salt2) {
        this.catchUp(this.stamp(this.now()));
      } else {
        // The WAL was reset since (a close checkpointed it): frames may be gone, so start over from the file.
        this.sealOpen();
        this.takeBase(this.stamp(this.now()), false);
      }
    } else if (!(last?.type === 'base' && this.databaseMatches(last))) {
      this.takeBase(this.stamp(this.now()), false);
    } else {
      this.catchUp(this.stamp(this.now()));
    }
    // Anything a crash left unshipped goes now; failures are retried later.
    void this.ship().catch(() => undefined);
  }

  private databaseMatches(base: BaseEntry): boolean {
    if (!base.databaseFile) return false;
    try {
      const stats = fs.statSync(this.databasePath);
      return stats.size === base.databaseFile.sizeBytes && stats.mtimeMs === base.databaseFile.mtimeMs;
    } catch {
      return false;
    }
  }

  /** Reopens the open generation's spool after a restart: cuts a torn tail, finds where the WAL was. */
  private reopenGeneration(entry: GenerationEntry): void {
    const file = localGenerationPath(this.spoolDir, entry.sequence);
    const fd = fs.openSync(file, 'r+');
    const reader = new WindowReader(fd, fs.fstatSync(fd).size);
    const header = readSpoolHeader(reader);
    if (!header || header.salt1 !== entry.salt1 || header.salt2 !== entry.salt2) {
      fs.closeSync(fd);
      throw new HistoryCorruptError(`spool ${file} has no valid header`);
    }
    const frameBytes = WAL_FRAME_HEADER_BYTES + header.pageSize;
    let size = SPOOL_HEADER_BYTES;
    let walOffset = header.walOffset;
    let checksum: WalChecksum = { s1: header.checksum1, s2: header.checksum2 };
    let commits = 0;
    // The index is rewritten from the spool: its tail may be torn, or behind the spool's.
    const blocks: Buffer[] = [encodeIndexHeader(entry.sequence, header.pageSize)];
    for (const record of scanSpool(reader, header)) {
      blocks.push(
        encodeIndexBlock(
          {
            commitTimeMs: record.commitTimeMs,
            recordOffset: record.payloadOffset - RECORD_HEADER_BYTES,
            dbSizePages: record.dbSizePages,
          },
          Buffer.from(reader.read(record.payloadOffset, record.frameCount * frameBytes)!),
          header.pageSize,
        ),
      );
      size = record.endOffset;
      walOffset = record.walOffset + record.frameCount * frameBytes;
      const lastFrame = reader.read(record.endOffset - frameBytes, WAL_FRAME_HEADER_BYTES)!;
      checksum = { s1: lastFrame.readUInt32BE(16), s2: lastFrame.readUInt32BE(20) };
      entry.firstCommitMs ??= record.commitTimeMs;
      entry.lastCommitMs = record.commitTimeMs;
      this.lastTimeMs = Math.max(this.lastTimeMs, record.commitTimeMs);
      this.lastChangeMs = Math.max(this.lastChangeMs, record.commitTimeMs);
      commits++;
    }
    entry.commits = commits;
    fs.ftruncateSync(fd, size);
    fs.fsyncSync(fd);
    const walHeader = this.withWal((walFd) => readWalHeaderAt(walFd));
    this.open = {
      entry,
      fd,
      size,
      bigEndianChecksum: walHeader?.bigEndianChecksum ?? false,
      walOffset,
      checksum,
      index: this.createIndex(entry.sequence, Buffer.concat(blocks)),
    };
  }

  /**
   * Creates the generation's index file holding `bytes` (its header, and blocks when rebuilt).
   * The index only speeds restores up — they read the spool where it is missing or short — so a
   * failure to write it is reported (`onShipError`), never thrown: the commit stands.
   */
  private createIndex(sequence: number, bytes: Buffer): OpenGeneration['index'] {
    const file = localIndexPath(this.spoolDir, sequence);
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'w');
      writeFully(fd, bytes, 0);
      return { fd, size: bytes.length };
    } catch (error) {
      if (fd !== undefined) fs.closeSync(fd);
      fs.rmSync(file, { force: true });
      this.onShipError(error);
      return undefined;
    }
  }

  /** Appends the blocks of commits just spooled; a failure drops the index (restores scan the spool). */
  private appendIndex(open: OpenGeneration, blocks: Buffer[]): void {
    if (!open.index) return;
    const bytes = Buffer.concat(blocks);
    try {
      writeFully(open.index.fd, bytes, open.index.size);
      open.index.size += bytes.length;
    } catch (error) {
      this.dropIndex(open);
      this.onShipError(error);
    }
  }

  private dropIndex(open: OpenGeneration): void {
    if (!open.index) return;
    fs.closeSync(open.index.fd);
    open.index = undefined;
    fs.rmSync(localIndexPath(this.spoolDir, open.entry.sequence), { force: true });
  }

  private withWal<T>(read: (fd: number, size: number) => T): T | undefined {
    let fd: number;
    try {
      fd = fs.openSync(this.walPath, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return read(fd, fs.fstatSync(fd).size);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Spools every transaction committed in the WAL past what is already spooled. */
  private catchUp(timeMs: number): void {
    this.withWal((walFd, walSize) => {
      const header = readWalHeaderAt(walFd);
      if (!header) return;
      if (this.open && (this.open.entry.salt1 !== header.salt1 || this.open.entry.salt2 !== header.salt2)) {
        // The WAL restarted without `beforeCheckpoint` (e.g. the last connection closed and
        // checkpointed): the old generation is complete as spooled; the file plus the new WAL is the
        // new starting point.
        this.sealOpen();
        this.lastChangeMs = timeMs;
        this.takeBase(timeMs, false);
      }
      let start: WalPosition;
      if (this.open) {
        start = {
          salt1: header.salt1,
          salt2: header.salt2,
          offset: this.open.walOffset,
          checksum1: this.open.checksum.s1,
          checksum2: this.open.checksum.s2,
        };
      } else {
        const continuation = this.lastBaseContinuation();
        start =
          continuation && continuation.salt1 === header.salt1 && continuation.salt2 === header.salt2
            ? continuation
            : {
                salt1: header.salt1,
                salt2: header.salt2,
                offset: WAL_HEADER_BYTES,
                checksum1: header.checksum1,
                checksum2: header.checksum2,
              };
      }
      const committed = readCommittedFrames(
        walFd,
        header,
        start.offset,
        { s1: start.checksum1, s2: start.checksum2 },
        walSize,
      );
      if (committed.commits.length === 0) return;
      const open = this.open ?? this.startGeneration(header, start);
      const buffers: Buffer[] = [];
      const blocks: Buffer[] = [];
      let recordOffset = open.size;
      for (const commit of committed.commits) {
        if (open.index) {
          blocks.push(
            encodeIndexBlock(
              { commitTimeMs: timeMs, recordOffset, dbSizePages: commit.dbSizePages },
              commit.frames,
              header.pageSize,
            ),
          );
        }
        recordOffset += RECORD_HEADER_BYTES + commit.frames.length;
        buffers.push(
          encodeRecordHeader(
            {
              frameCount: commit.frameCount,
              commitTimeMs: timeMs,
              walOffset: commit.walOffset,
              dbSizePages: commit.dbSizePages,
            },
            header.pageSize,
            commit.frames,
          ),
          commit.frames,
        );
      }
      const bytes = Buffer.concat(buffers);
      writeFully(open.fd, bytes, open.size);
      fs.fsyncSync(open.fd);
      // After the spool's fsync: a block never names a record the spool may not have.
      this.appendIndex(open, blocks);
      open.size += bytes.length;
      open.walOffset = committed.endOffset;
      open.checksum = committed.checksum;
      open.entry.commits += committed.commits.length;
      open.entry.firstCommitMs ??= timeMs;
      open.entry.lastCommitMs = timeMs;
      this.lastChangeMs = timeMs;
    });
  }

  private lastBaseContinuation(): WalPosition | null {
    const last = this.manifest.entries.at(-1);
    return last?.type === 'base' ? last.walContinuation : null;
  }

  private startGeneration(header: WalHeader, start: WalPosition): OpenGeneration {
    const sequence = this.manifest.nextSequence++;
    const file = localGenerationPath(this.spoolDir, sequence);
    const fd = fs.openSync(file, 'w+');
    writeFully(
      fd,
      encodeSpoolHeader({
        sequence,
        pageSize: header.pageSize,
        salt1: header.salt1,
        salt2: header.salt2,
        walOffset: start.offset,
        checksum1: start.checksum1,
        checksum2: start.checksum2,
      }),
      0,
    );
    fs.fsyncSync(fd);
    fsyncDirectory(this.spoolDir);
    const entry: GenerationEntry = {
      type: 'generation',
      sequence,
      key: generationKey(this.keyPrefix, sequence),
      pageSize: header.pageSize,
      salt1: header.salt1,
      salt2: header.salt2,
      firstCommitMs: null,
      lastCommitMs: null,
      commits: 0,
      sealed: false,
      sha256: null,
      sizeBytes: 0,
      shipped: false,
      index: null,
    };
    this.manifest.entries.push(entry);
    writeLocalManifest(this.spoolDir, this.manifest);
    this.open = {
      entry,
      fd,
      size: SPOOL_HEADER_BYTES,
      bigEndianChecksum: header.bigEndianChecksum,
      walOffset: start.offset,
      checksum: { s1: start.checksum1, s2: start.checksum2 },
      index: this.createIndex(sequence, encodeIndexHeader(sequence, header.pageSize)),
    };
    return this.open;
  }

  private sealOpen(): void {
    const open = this.open;
    if (!open) return;
    fs.fsyncSync(open.fd);
    fs.closeSync(open.fd);
    this.open = undefined;
    open.entry.index = this.sealIndex(open);
    open.entry.sealed = true;
    open.entry.sizeBytes = open.size;
    writeLocalManifest(this.spoolDir, this.manifest);
  }

  /** The sealed generation's index made durable (it is shipped with the spool), or null without one. */
  private sealIndex(open: OpenGeneration): GenerationEntry['index'] {
    const index = open.index;
    if (!index) return null;
    try {
      fs.fsyncSync(index.fd);
    } catch (error) {
      this.dropIndex(open);
      this.onShipError(error);
      return null;
    }
    fs.closeSync(index.fd);
    open.index = undefined;
    return {
      key: generationIndexKey(this.keyPrefix, open.entry.sequence),
      sizeBytes: index.size,
      sha256: null,
      shipped: false,
    };
  }

  /**
   * Copies the database file into the spool directory and folds in the WAL's committed frames (what
   * a checkpoint would write), so the copy is the database as of now whether or not the WAL was
   * empty; the next generation continues the WAL after those frames.
   */
  private takeBase(stateTimeMs: number, kept: boolean): BaseEntry {
    const sequence = this.manifest.nextSequence++;
    const target = localBasePath(this.spoolDir, sequence);
    const temp = `${target}.tmp`;
    let databaseFile: BaseEntry['databaseFile'] = null;
    try {
      const stats = fs.statSync(this.databasePath);
      fs.copyFileSync(this.databasePath, temp, FICLONE);
      databaseFile = { sizeBytes: stats.size, mtimeMs: stats.mtimeMs };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      fs.writeFileSync(temp, Buffer.alloc(0));
    }
    const fd = fs.openSync(temp, 'r+');
    let walContinuation: WalPosition | null = null;
    try {
      walContinuation = foldWal(fd, this.walPath);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, target);
    const entry: BaseEntry = {
      type: 'base',
      sequence,
      key: baseKey(this.keyPrefix, sequence),
      takenAtMs: this.stamp(this.now()),
      stateTimeMs,
      sizeBytes: fs.statSync(target).size,
      sha256: null,
      kept,
      shipped: false,
      databaseFile,
      walContinuation,
    };
    this.manifest.entries.push(entry);
    writeLocalManifest(this.spoolDir, this.manifest);
    return entry;
  }

  /** Uploads sealed generations and bases in order; one run at a time. */
  private ship(): Promise<void> {
    const run = this.shipping.then(() => this.shipPending());
    this.shipping = run.catch((error: unknown) => this.onShipError(error));
    return run;
  }

  private async shipPending(): Promise<void> {
    let changed = false;
    for (const entry of [...this.manifest.entries]) {
      if (entry.shipped || (entry.type === 'generation' && !entry.sealed)) continue;
      if (entry.type === 'generation' && entry.index && !entry.index.shipped) {
        // The index goes first: a shipped spool is deleted locally, and its index with it.
        const indexFile = localIndexPath(this.spoolDir, entry.sequence);
        if (fs.existsSync(indexFile)) {
          const storedIndex = await this.store.put(entry.index.key, fs.createReadStream(indexFile), {
            contentType: 'application/octet-stream',
          });
          entry.index.sha256 = storedIndex.sha256;
          entry.index.sizeBytes = storedIndex.size;
          entry.index.shipped = true;
        } else {
          // Lost locally (removed by hand): restores replay this generation's frames instead.
          entry.index = null;
        }
      }
      const file = this.localPath(entry);
      const stored = await this.store.put(entry.key, fs.createReadStream(file), {
        contentType: 'application/octet-stream',
      });
      entry.sha256 = stored.sha256;
      entry.sizeBytes = stored.size;
      entry.shipped = true;
      writeLocalManifest(this.spoolDir, this.manifest);
      if (entry.type === 'generation') {
        fs.rmSync(file, { force: true });
        fs.rmSync(localIndexPath(this.spoolDir, entry.sequence), { force: true });
      } else this.dropLocalBasesBefore(entry.sequence);
      changed = true;
    }
    if (changed) await this.putManifest();
  }

  /**
   * The newest stored base stays in the spool directory: a restore to a recent time (the common
   * case) then starts with a kernel-side copy instead of a download. Older ones live only in the store.
   */
  private dropLocalBasesBefore(sequence: number): void {
    for (const entry of this.manifest.entries) {
      if (entry.type === 'base' && entry.shipped && entry.sequence < sequence) {
        fs.rmSync(this.localPath(entry), { force: true });
      }
    }
  }

  private async putManifest(): Promise<void> {
    await this.store.put(manifestKey(this.keyPrefix), Buffer.from(JSON.stringify(this.manifest)), {
      contentType: 'application/json',
    });
  }
}
