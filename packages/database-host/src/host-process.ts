/**
 * The child-process side of the database host: owns the SQLite files hashed to it, one libsql
 * connection per open file, and answers `HostCommand`s over the IPC channel. Work on one file is
 * queued (its write lock: statements, checkpoints and copies of a file never interleave); files
 * are independent of each other. Statements run synchronously: a runaway one blocks this process,
 * which is why the parent, not this process, enforces the time limit (it kills and respawns it).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import Database from 'libsql';
import {
  checkDatabaseId,
  type DatabasePaths,
  databasePaths,
  fileSize,
  isSqliteFile,
  syncDirectory,
  syncFile,
} from './database-files.js';
import { DatabaseHostError } from './errors.js';
import { beginSnapshot, dumpDatabase } from './sql-dump.js';
import { StatementRunner } from './statement-runner.js';
import type {
  ChildMessage,
  CommitRecorder,
  CopyResult,
  ExecuteResult,
  HostCommand,
  HostInit,
  ParentMessage,
  RecorderFactory,
} from './types.js';

type Connection = InstanceType<typeof Database>;

interface OpenDatabase {
  id: string;
  paths: DatabasePaths;
  connection: Connection;
  runner: StatementRunner;
  recorder: CommitRecorder;
  /**
   * A hook failed to record (a commit's frames, a seal, a base): the history has a gap until the
   * file is re-based, which the next command on the file does first (`rebaseHistory`).
   */
  historyGap: boolean;
}

const NO_RECORDER: CommitRecorder = {
  afterCommit() {},
  beforeCheckpoint() {},
  afterCheckpoint() {},
};

let init: HostInit | undefined;
let recorderFactory: RecorderFactory | undefined;
const open = new Map<string, OpenDatabase>();
const locks = new Map<string, Promise<unknown>>();
/** Dumps reading a file on their own connection: checkpoints, swaps and removals wait for them. */
const dumps = new Map<string, Set<Promise<unknown>>>();

async function dumpsFinished(databaseId: string): Promise<void> {
  const running = dumps.get(databaseId);
  if (running && running.size > 0) await Promise.allSettled([...running]);
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** Runs `work` after every earlier piece of work on `databaseId`. */
function withLock<T>(databaseId: string, work: () => Promise<T>): Promise<T> {
  const previous = locks.get(databaseId) ?? Promise.resolve();
  const next = previous.then(work, work);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  locks.set(databaseId, settled);
  void settled.then(() => {
    if (locks.get(databaseId) === settled) locks.delete(databaseId);
  });
  return next;
}

function reportRecorderError(database: OpenDatabase, hook: string, error: unknown): void {
  send({
    type: 'recorder-error',
    databaseId: database.id,
    hook,
    message: error instanceof Error ? error.message : String(error),
  });
}

/** A hook whose failure is only reported (`close`): nothing in the history depends on it. */
async function callRecorder(
  database: OpenDatabase,
  hook: keyof CommitRecorder,
  argument?: number | { kept?: boolean },
): Promise<void> {
  try {
    const method = database.recorder[hook] as ((value?: unknown) => unknown) | undefined;
    await method?.call(database.recorder, argument);
  } catch (error) {
    reportRecorderError(database, hook, error);
  }
}

function historyUnavailable(database: OpenDatabase, hook: string, error: unknown): DatabaseHostError {
  return new DatabaseHostError(
    'HISTORY_UNAVAILABLE',
    `the history of ${database.id} could not be recorded (${hook}: ${error instanceof Error ? error.message : String(error)}); not acknowledged — retry`,
    { hook },
  );
}

/**
 * A hook the history depends on (`afterCommit`, `beforeCheckpoint`, `afterReplace`, and the
 * synchronous part of `afterCheckpoint` — its base): if it throws or rejects, the file's history has
 * a gap, so the request fails with `HISTORY_UNAVAILABLE` and the next command re-bases first. For
 * `afterCheckpoint` and `afterReplace` (`background: true`) only a synchronous throw is a gap: their
 * promise covers uploads, which the recorder retries; it is not awaited, and its failure is
 * reported, the request stands.
 */
async function record(
  database: OpenDatabase,
  hook: keyof CommitRecorder,
  argument?: number | { kept?: boolean },
  background = false,
): Promise<void> {
  const method = database.recorder[hook] as ((value?: unknown) => unknown) | undefined;
  let pending: unknown;
  try {
    pending = method?.call(database.recorder, argument);
  } catch (error) {
    database.historyGap = true;
    throw historyUnavailable(database, hook, error);
  }
  if (background) {
    // Uploads run behind the file's lock (the next command need not wait for the object store);
    // a failed one is reported and retried by the recorder.
    void Promise.resolve(pending).catch((error: unknown) => reportRecorderError(database, hook, error));
    return;
  }
  try {
    await pending;
  } catch (error) {
    database.historyGap = true;
    throw historyUnavailable(database, hook, error);
  }
}

/** Stands in after a failed re-base: every recording hook fails until a re-base succeeds. */
const GAP_RECORDER: CommitRecorder = {
  afterCommit() {
    throw new Error('the history is not re-based yet');
  },
  beforeCheckpoint() {
    throw new Error('the history is not re-based yet');
  },
  afterCheckpoint() {
    throw new Error('the history is not re-based yet');
  },
};

/**
 * Closes the failed recorder, checkpoints the WAL (the unrecorded commit lands in the file), and
 * opens a new recorder on the checkpointed file — for `@trustplane/sqlite-history`, a new base
 * stamped now. Until this succeeds no command runs on the file (`HISTORY_UNAVAILABLE`), so no
 * acknowledged commit is ever missing from the history. The caller holds the file's lock.
 */
async function rebaseHistory(database: OpenDatabase): Promise<void> {
  if (!database.historyGap) return;
  await callRecorder(database, 'close');
  database.recorder = GAP_RECORDER;
  try {
    const [busy] = database.connection.prepare('PRAGMA wal_checkpoint(TRUNCATE)').raw(true).get() as number[];
    if (busy !== 0) throw new Error('the checkpoint could not complete');
    database.recorder = await makeRecorder(database.id, database.paths);
  } catch (error) {
    throw historyUnavailable(database, 'rebase', error);
  }
  database.historyGap = false;
}

function configure(connection: Connection): void {
  connection.exec('PRAGMA journal_mode=WAL');
  // Each commit is on disk before it is acknowledged.
  connection.exec('PRAGMA synchronous=FULL');
  // Checkpoints happen only when the host decides (history copies the WAL out first).
  connection.exec('PRAGMA wal_autocheckpoint=0');
  connection.exec('PRAGMA foreign_keys=ON');
  connection.exec('PRAGMA trusted_schema=OFF');
}

function openConnection(file: string): Connection {
  const connection = new Database(file);
  try {
    configure(connection);
  } catch (error) {
    connection.close();
    throw error;
  }
  return connection;
}

async function makeRecorder(databaseId: string, paths: DatabasePaths): Promise<CommitRecorder> {
  if (!recorderFactory) return NO_RECORDER;
  return recorderFactory({
    databaseId,
    databasePath: paths.database,
    walPath: paths.wal,
    options: init!.recorder?.options,
  });
}

async function openDatabase(databaseId: string, create = false): Promise<OpenDatabase> {
  const existing = open.get(databaseId);
  if (existing) return existing;
  const paths = databasePaths(init!.directory, databaseId);
  if (!create && !fs.existsSync(paths.database))
    throw new DatabaseHostError('DATABASE_NOT_FOUND', `database ${databaseId} does not exist`);
  const connection = openConnection(paths.database);
  try {
    const recorder = await makeRecorder(databaseId, paths);
    const database: OpenDatabase = {
      id: databaseId,
      paths,
      connection,
      runner: new StatementRunner(connection),
      recorder,
      historyGap: false,
    };
    open.set(databaseId, database);
    return database;
  } catch (error) {
    connection.close();
    throw error;
  }
}

async function closeDatabase(database: OpenDatabase): Promise<void> {
  open.delete(database.id);
  await callRecorder(database, 'close');
  database.runner.clear();
  database.connection.close();
}

/** TRUNCATE checkpoint with the recorder told before and after; the caller holds the lock. */
async function checkpointOpen(database: OpenDatabase, kept = false): Promise<void> {
  // A dump's read snapshot would keep a TRUNCATE checkpoint from completing.
  await dumpsFinished(database.id);
  await rebaseHistory(database);
  // A seal that fails stops the checkpoint: it would drop frames the history does not have.
  await record(database, 'beforeCheckpoint');
  const [busy] = database.connection.prepare('PRAGMA wal_checkpoint(TRUNCATE)').raw(true).get() as number[];
  // One connection per file and nothing left mid-statement: a busy checkpoint is a bug.
  if (busy !== 0) throw new DatabaseHostError('IO_ERROR', 'the checkpoint could not complete');
  await record(database, 'afterCheckpoint', kept ? { kept } : undefined, true);
}

async function removeFiles(paths: DatabasePaths): Promise<void> {
  for (const file of [paths.wal, paths.shm, paths.database]) await fs.promises.rm(file, { force: true });
}

async function copyWithHash(source: string, destination: string): Promise<CopyResult> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  await pipeline(
    fs.createReadStream(source),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        yield chunk;
      }
    },
    fs.createWriteStream(destination),
  );
  await syncFile(destination);
  return { sizeBytes, sha256: hash.digest('hex') };
}

const commands: {
  [Op in HostCommand['op']]: (command: Extract<HostCommand, { op: Op }>, id: number) => Promise<unknown>;
} = {
  async create({ databaseId }) {
    const paths = databasePaths(init!.directory, databaseId);
    if (fs.existsSync(paths.database))
      throw new DatabaseHostError('DATABASE_EXISTS', `database ${databaseId} exists`);
    // A WAL left by an earlier file of this id must never be applied to the new one.
    await removeFiles(paths);
    await openDatabase(databaseId, true);
    await syncDirectory(init!.directory);
    return { sizeBytes: fileSize(paths.database) + fileSize(paths.wal) };
  },

  async execute({ databaseId, request }, id): Promise<ExecuteResult> {
    const database = await openDatabase(databaseId);
    await rebaseHistory(database);
    const walBefore = fileSize(database.paths.wal);
    let result: ExecuteResult | undefined;
    let failure: unknown;
    try {
      result = database.runner.execute(request, {
        limits: init!.limits,
        onStatementStart: () => send({ type: 'start', id }),
      });
    } catch (error) {
      failure = error;
    }
    // A write commits by appending frames to the WAL (never truncated between checkpoints): the
    // recorder copies them before anyone hears of the commit. A rolled-back request may have
    // grown the WAL too; the recorder then finds no new commit.
    // If the recorder fails, the request is not acknowledged (HISTORY_UNAVAILABLE) even though a
    // write in it may have committed; the file is re-based before its next command.
    if (fileSize(database.paths.wal) !== walBefore) await record(database, 'afterCommit', Date.now());
    if (failure !== undefined) throw failure;
    return result!;
  },

  async checkpoint({ databaseId }) {
    await checkpointOpen(await openDatabase(databaseId));
    return null;
  },

  async copyCheckpointed({ databaseId, destinationPath }): Promise<CopyResult> {
    const database = await openDatabase(databaseId);
    await checkpointOpen(database, true);
    return copyWithHash(database.paths.database, destinationPath);
  },

  /**
   * Starts a dump under the file's lock (its snapshot then holds every commit acknowledged before
   * it) and answers with the running dump, which continues after the lock is released: the
   * dump reads its own connection, so this file's writers are not held up by it.
   */
  async dump({ databaseId, destinationPath, header }) {
    const database = await openDatabase(databaseId);
    const reader = openConnection(database.paths.database);
    reader.exec('PRAGMA query_only=ON');
    // The snapshot is taken now, under the file's lock: it holds every commit acknowledged before.
    try {
      beginSnapshot(reader);
    } catch (error) {
      reader.close();
      throw error;
    }
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const out = fs.createWriteStream(destinationPath, { flags: 'wx' });
    const opened = new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
    const running = (async (): Promise<CopyResult> => {
      try {
        await opened;
        await dumpDatabase(
          reader,
          {
            write: (chunk) => {
              const bytes = Buffer.from(chunk, 'utf8');
              hash.update(bytes);
              sizeBytes += bytes.length;
              return out.write(bytes)
                ? Promise.resolve()
                : new Promise((resolve) => out.once('drain', resolve));
            },
          },
          header ? { header } : {},
        );
        await new Promise<void>((resolve, reject) =>
          out.end((error?: Error | null) => (error ? reject(error) : resolve())),
        );
        await syncFile(destinationPath);
        return { sizeBytes, sha256: hash.digest('hex') };
      } catch (error) {
        out.destroy();
        await fs.promises.rm(destinationPath, { force: true });
        throw error;
      } finally {
        reader.close();
      }
    })();
    const set = dumps.get(databaseId) ?? new Set<Promise<unknown>>();
    dumps.set(databaseId, set);
    set.add(running);
    void running
      .catch(() => undefined)
      .finally(() => {
        set.delete(running);
        if (set.size === 0 && dumps.get(databaseId) === set) dumps.delete(databaseId);
      });
    return { running };
  },

  async clone({ databaseId, targetId }) {
    const database = await openDatabase(databaseId);
    const target = databasePaths(init!.directory, checkDatabaseId(targetId));
    if (fs.existsSync(target.database))
      throw new DatabaseHostError('DATABASE_EXISTS', `database ${targetId} exists`);
    // Nothing in the WAL (a TRUNCATE checkpoint leaves it empty): the file alone is the database,
    // and a checkpoint would only wake the recorder (sealing an empty generation, taking a base).
    if (fileSize(database.paths.wal) > 0) await checkpointOpen(database);
    const temporary = `${target.database}.clone-${randomBytes(6).toString('hex')}`;
    try {
      // A reflink where the file system has them (btrfs, XFS, APFS): instant and shares blocks.
      await fs.promises.copyFile(database.paths.database, temporary, fs.constants.COPYFILE_FICLONE);
      await syncFile(temporary);
      for (const stale of [target.wal, target.shm]) await fs.promises.rm(stale, { force: true });
      // link() refuses an existing name: a target created meanwhile is never overwritten.
      await fs.promises.link(temporary, target.database).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST')
          throw new DatabaseHostError('DATABASE_EXISTS', `database ${targetId} exists`);
        throw error;
      });
    } finally {
      await fs.promises.rm(temporary, { force: true });
    }
    await syncDirectory(init!.directory);
    return { sizeBytes: fileSize(target.database) };
  },

  async replace({ databaseId, sourceFilePath }) {
    const paths = databasePaths(init!.directory, databaseId);
    if (!fs.existsSync(paths.database))
      throw new DatabaseHostError('DATABASE_NOT_FOUND', `database ${databaseId} does not exist`);
    if (typeof sourceFilePath !== 'string' || !fs.existsSync(sourceFilePath))
      throw new DatabaseHostError('INVALID_REQUEST', 'the replacement file does not exist');
    if (!(await isSqliteFile(sourceFilePath)))
      throw new DatabaseHostError('INVALID_REQUEST', 'the replacement file is not a SQLite database');
    // Staged beside the live file first, so the swap itself is one rename on one file system.
    const staged = `${paths.database}.replace-${randomBytes(6).toString('hex')}`;
    try {
      await fs.promises.rename(sourceFilePath, staged).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EXDEV') throw error;
        await fs.promises.copyFile(sourceFilePath, staged);
        await fs.promises.rm(sourceFilePath, { force: true });
      });
      await syncFile(staged);
      await dumpsFinished(databaseId);
      const live = await openDatabase(databaseId);
      await rebaseHistory(live);
      // The recorder seals what the old file committed before the swap (a failure stops the swap).
      await record(live, 'beforeCheckpoint');
      live.runner.clear();
      live.connection.close();
      open.delete(databaseId);
      // The old file's WAL belongs to the old file.
      for (const stale of [paths.wal, paths.shm]) await fs.promises.rm(stale, { force: true });
      await fs.promises.rename(staged, paths.database);
      await syncDirectory(init!.directory);
      if (live.recorder.afterReplace) {
        const connection = openConnection(paths.database);
        open.set(databaseId, { ...live, connection, runner: new StatementRunner(connection) });
        // The swap is a recorded point in history (a new base): a restore is undone by restoring
        // to before it. If it cannot be recorded, the restore is not acknowledged; the next
        // command re-bases.
        await record(open.get(databaseId)!, 'afterReplace', undefined, true);
      } else {
        await callRecorder(live, 'close');
        await openDatabase(databaseId);
      }
    } finally {
      await fs.promises.rm(staged, { force: true });
    }
    return { sizeBytes: fileSize(paths.database) };
  },

  async remove({ databaseId }) {
    await dumpsFinished(databaseId);
    const paths = databasePaths(init!.directory, databaseId);
    const live = open.get(databaseId);
    if (live) await closeDatabase(live);
    const existed = fs.existsSync(paths.database);
    await removeFiles(paths);
    await syncDirectory(init!.directory);
    return { removed: existed };
  },

  async sizeBytes({ databaseId }) {
    const paths = databasePaths(init!.directory, databaseId);
    if (!fs.existsSync(paths.database))
      throw new DatabaseHostError('DATABASE_NOT_FOUND', `database ${databaseId} does not exist`);
    return fileSize(paths.database) + fileSize(paths.wal);
  },

  async exists({ databaseId }) {
    return fs.existsSync(databasePaths(init!.directory, databaseId).database);
  },

  async pruneHistory({ databaseId, windowMs }) {
    if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs < 0)
      throw new DatabaseHostError('INVALID_REQUEST', 'windowMs must be a non-negative number');
    const database = await openDatabase(databaseId);
    await rebaseHistory(database);
    const result = await database.recorder.prune?.(windowMs);
    return result ?? null;
  },
};

function toErrorData(error: unknown) {
  if (error instanceof DatabaseHostError) return error.toData();
  const failure = error as NodeJS.ErrnoException;
  if (typeof failure?.code === 'string' && failure.code.startsWith('E'))
    return { code: 'IO_ERROR', message: failure.message, details: { errno: failure.code } };
  if (typeof failure?.code === 'string' && failure.code.startsWith('SQLITE'))
    return { code: 'SQL_ERROR', message: failure.message, details: { sqliteCode: failure.code } };
  return { code: 'IO_ERROR', message: failure instanceof Error ? failure.message : String(error) };
}

async function handle(id: number, command: HostCommand): Promise<void> {
  try {
    const databaseId = checkDatabaseId(command.databaseId);
    const run = commands[command.op] as (command: HostCommand, id: number) => Promise<unknown>;
    if (!run) throw new DatabaseHostError('INVALID_REQUEST', `unknown operation ${String(command.op)}`);
    let value = await withLock(databaseId, () => run(command, id));
    // A dump holds the lock only to start; it finishes outside it.
    if (command.op === 'dump') value = await (value as { running: Promise<CopyResult> }).running;
    send({ type: 'result', id, ok: true, value });
  } catch (error) {
    send({ type: 'result', id, ok: false, error: toErrorData(error) });
  }
}

async function closeAll(): Promise<void> {
  await Promise.all(
    [...open.values()].map((database) =>
      withLock(database.id, async () => {
        try {
          await checkpointOpen(database);
        } finally {
          await closeDatabase(database);
        }
      }).catch(() => undefined),
    ),
  );
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'request') {
    void handle(message.id, message.command);
  } else if (message.type === 'init') {
    init = message.init;
    const { recorder } = message.init;
    const loading = recorder
      ? import(recorder.module).then((loaded: Record<string, unknown>) => {
          const factory = loaded[recorder.exportName];
          if (typeof factory !== 'function')
            throw new Error(`${recorder.exportName} is not a function of ${recorder.module}`);
          recorderFactory = factory as RecorderFactory;
        })
      : Promise.resolve();
    fs.mkdirSync(message.init.directory, { recursive: true });
    void loading.then(
      () => send({ type: 'ready' }),
      (error: unknown) => {
        process.stderr.write(`database host: recorder failed to load: ${String(error)}\n`);
        process.exit(1);
      },
    );
  } else if (message.type === 'close') {
    void closeAll().finally(() => {
      send({ type: 'closed' });
      process.disconnect?.();
    });
  }
});

// The parent went away: close the files cleanly and leave.
process.on('disconnect', () => {
  void closeAll().finally(() => process.exit(0));
});
