import { type ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDatabaseId, hostIndexFor } from './database-files.js';
import { DatabaseHostError } from './errors.js';
import {
  type ChildMessage,
  type CopyResult,
  DEFAULT_RESULT_LIMITS,
  type ExecuteRequest,
  type ExecuteResult,
  type HostCommand,
  type HostInit,
  type ParentMessage,
  type RecorderModule,
  type ResultLimits,
} from './types.js';

export interface DatabaseHostLogger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface DatabaseHostOptions {
  /** Where the files live (`<dataDir>/backlex/databases` for backlex); created if missing. */
  directory: string;
  /** Host processes; default `TRUSTPLANE_DATABASE_HOSTS`, else `os.availableParallelism()`. */
  hosts?: number;
  /** A statement running longer gets its host killed and restarted. Default 5000 ms. */
  statementTimeoutMs?: number;
  /** Caps on one request's results. Default 10,000 rows and 8 MiB. */
  limits?: Partial<ResultLimits>;
  /** Commit recorder loaded in every host process (point-in-time history); none by default. */
  recorder?: RecorderModule;
  logger?: DatabaseHostLogger;
  /**
   * A recorder failure that did not fail a request: a background upload (retried), a `close`, an
   * `afterCheckpoint` that recorded its base but whose upload failed. Failures to record fail the
   * request with `HISTORY_UNAVAILABLE` (README, "Commit hook").
   */
  onRecorderError?: (event: { databaseId: string; hook: string; message: string }) => void;
}

interface Pending {
  command: HostCommand;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** One run of a host process; a restarted host is a new generation with nothing pending. */
interface Generation {
  child: ChildProcess;
  ready: Promise<void>;
  pending: Map<number, Pending>;
  /** The request whose statement is running, with its deadline. */
  running: { id: number; timer: NodeJS.Timeout } | undefined;
  timedOut: number | undefined;
  exited: Promise<void>;
}

interface Slot {
  index: number;
  generation: Generation | undefined;
}

const ENTRY = fileURLToPath(new URL('./host-entry.mjs', import.meta.url));

export function defaultHostCount(): number {
  const configured = Number(process.env.TRUSTPLANE_DATABASE_HOSTS);
  if (Number.isInteger(configured) && configured > 0) return configured;
  return os.availableParallelism();
}

/**
 * SQLite files served by a fixed set of child processes. Every request is a serializable
 * `HostCommand` routed to the process that owns the file (a hash of its id), which keeps it open
 * with one libsql connection and runs the file's work in order. A statement past the time limit
 * takes its process down (SIGKILL; SQLite cannot be interrupted from outside a blocked thread):
 * the request that ran it fails with `STATEMENT_TIMEOUT`, the others sent to that process with
 * `HOST_RESTARTED`, a new process takes over its files, and the other processes never notice.
 */
export class DatabaseHost {
  readonly hosts: number;
  private readonly slots: Slot[];
  private readonly init: HostInit;
  private readonly statementTimeoutMs: number;
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: DatabaseHostOptions) {
    this.hosts = options.hosts ?? defaultHostCount();
    if (!Number.isInteger(this.hosts) || this.hosts < 1) throw new Error('hosts is a positive integer');
    this.statementTimeoutMs = options.statementTimeoutMs ?? 5_000;
    this.init = {
      directory: path.resolve(options.directory),
      limits: { ...DEFAULT_RESULT_LIMITS, ...options.limits },
      recorder: options.recorder,
    };
    this.slots = Array.from({ length: this.hosts }, (_, index) => ({ index, generation: undefined }));
  }

  get directory(): string {
    return this.init.directory;
  }

  private spawn(slot: Slot): Generation {
    const child = fork(ENTRY, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
    });
    let markReady: () => void = () => undefined;
    let failReady: (error: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    ready.catch(() => undefined);
    let exited: () => void = () => undefined;
    const generation: Generation = {
      child,
      ready,
      pending: new Map(),
      running: undefined,
      timedOut: undefined,
      exited: new Promise<void>((resolve) => {
        exited = resolve;
      }),
    };
    child.on('message', (message: ChildMessage) => {
      switch (message.type) {
        case 'ready':
          markReady();
          break;
        case 'start':
          this.arm(generation, message.id);
          break;
        case 'result': {
          const pending = generation.pending.get(message.id);
          if (generation.running?.id === message.id) {
            clearTimeout(generation.running.timer);
            generation.running = undefined;
          }
          if (!pending) break;
          generation.pending.delete(message.id);
          this.updateRef(generation);
          if (message.ok) pending.resolve(message.value);
          else pending.reject(DatabaseHostError.fromData(message.error as never));
          break;
        }
        case 'recorder-error': {
          const event = { databaseId: message.databaseId, hook: message.hook, message: message.message };
          if (this.options.onRecorderError) this.options.onRecorderError(event);
          else this.options.logger?.error(event, 'database host: commit recorder failed');
          break;
        }
        default:
          break;
      }
    });
    child.on('error', (error) => this.options.logger?.error({ err: error }, 'database host process error'));
    child.on('exit', (code, signal) => {
      exited();
      failReady(new DatabaseHostError('HOST_RESTARTED', 'the database host process ended while starting'));
      if (generation.running) clearTimeout(generation.running.timer);
      for (const [id, pending] of generation.pending) {
        pending.reject(
          id === generation.timedOut
            ? new DatabaseHostError(
                'STATEMENT_TIMEOUT',
                `a statement ran past ${this.statementTimeoutMs} ms: it was stopped`,
                { timeoutMs: this.statementTimeoutMs },
              )
            : this.closed
              ? new DatabaseHostError('HOST_CLOSED', 'the database host is closed')
              : new DatabaseHostError(
                  'HOST_RESTARTED',
                  'the database host process restarted while this request was sent to it',
                  { cause: signal ?? code },
                ),
        );
      }
      generation.pending.clear();
      if (slot.generation === generation) {
        slot.generation = undefined;
        if (!this.closed) {
          if (generation.timedOut === undefined)
            this.options.logger?.warn({ code, signal, host: slot.index }, 'database host process ended');
          // Its files are served again at once (and the process is ready for the next request).
          slot.generation = this.spawn(slot);
        }
      }
    });
    child.send({ type: 'init', init: this.init } satisfies ParentMessage);
    return generation;
  }

  /** Starts the statement deadline of request `id` (the host reports each statement's start). */
  private arm(generation: Generation, id: number): void {
    if (generation.running) clearTimeout(generation.running.timer);
    const timer = setTimeout(() => {
      generation.timedOut = id;
      this.options.logger?.warn(
        { timeoutMs: this.statementTimeoutMs },
        'database host: statement past its time limit; process killed',
      );
      generation.child.kill('SIGKILL');
    }, this.statementTimeoutMs);
    generation.running = { id, timer };
  }

  /** An idle host never keeps the process alive. */
  private updateRef(generation: Generation): void {
    const channel = generation.child.channel as { ref(): void; unref(): void } | null | undefined;
    if (generation.pending.size > 0) {
      generation.child.ref();
      channel?.ref();
    } else {
      generation.child.unref();
      channel?.unref();
    }
  }

  private generationFor(slot: Slot): Generation {
    slot.generation ??= this.spawn(slot);
    return slot.generation;
  }

  /** Which host process owns `databaseId`. */
  hostIndexOf(databaseId: string): number {
    return hostIndexFor(checkDatabaseId(databaseId), this.hosts);
  }

  /**
   * Sends one command to the host that owns its database: the message-based seam (a remote host
   * takes the same commands). Every method below is a typed wrapper of it.
   */
  async send(command: HostCommand): Promise<unknown> {
    if (this.closed) throw new DatabaseHostError('HOST_CLOSED', 'the database host is closed');
    const slot = this.slots[this.hostIndexOf(command.databaseId)]!;
    const generation = this.generationFor(slot);
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve, reject) => {
      generation.pending.set(id, { command, resolve, reject });
    });
    this.updateRef(generation);
    try {
      await generation.ready;
    } catch (error) {
      generation.pending.delete(id);
      throw error;
    }
    if (generation.pending.has(id))
      generation.child.send({ type: 'request', id, command } satisfies ParentMessage);
    return answer;
  }

  /** Creates an empty database file (WAL); `DATABASE_EXISTS` if its file exists. */
  async create(databaseId: string): Promise<{ sizeBytes: number }> {
    return (await this.send({ op: 'create', databaseId })) as { sizeBytes: number };
  }

  /** Runs statements; more than one run as one transaction unless `transaction: false`. */
  async execute(databaseId: string, request: ExecuteRequest): Promise<ExecuteResult> {
    return (await this.send({ op: 'execute', databaseId, request })) as ExecuteResult;
  }

  /** Moves the WAL into the file (TRUNCATE), under the file's write lock. */
  async checkpoint(databaseId: string): Promise<void> {
    await this.send({ op: 'checkpoint', databaseId });
  }

  /** Checkpoints, then copies the file to `destinationPath` (for backups), hashing it on the way. */
  async copyCheckpointed(databaseId: string, destinationPath: string): Promise<CopyResult> {
    return (await this.send({
      op: 'copyCheckpointed',
      databaseId,
      destinationPath: path.resolve(destinationPath),
    })) as CopyResult;
  }

  /**
   * A SQL text dump of the database (schema and rows, loadable into an empty SQLite database with
   * the same content) written to `destinationPath` (must not exist), hashed on the way. It reads
   * one snapshot on its own connection, so writes to the file go on while it runs; checkpoints,
   * swaps and removals of the file wait for it.
   */
  async dump(databaseId: string, destinationPath: string, header?: string): Promise<CopyResult> {
    return (await this.send({
      op: 'dump',
      databaseId,
      destinationPath: path.resolve(destinationPath),
      ...(header === undefined ? {} : { header }),
    })) as CopyResult;
  }

  /** A new database `targetId` holding a checkpointed copy of `sourceId` (reflink when possible). */
  async clone(sourceId: string, targetId: string): Promise<{ sizeBytes: number }> {
    checkDatabaseId(targetId);
    return (await this.send({ op: 'clone', databaseId: sourceId, targetId })) as { sizeBytes: number };
  }

  /**
   * Swaps `sourceFilePath` in as the database's file (for restores): the live file is closed, the
   * source moved into its place in one rename, and the file reopened. The source is consumed.
   */
  async replace(databaseId: string, sourceFilePath: string): Promise<{ sizeBytes: number }> {
    return (await this.send({
      op: 'replace',
      databaseId,
      sourceFilePath: path.resolve(sourceFilePath),
    })) as { sizeBytes: number };
  }

  /** Closes and deletes the database's files; `removed: false` if there were none. */
  async remove(databaseId: string): Promise<{ removed: boolean }> {
    return (await this.send({ op: 'remove', databaseId })) as { removed: boolean };
  }

  /** Bytes on disk: the file and its WAL. */
  async sizeBytes(databaseId: string): Promise<number> {
    return (await this.send({ op: 'sizeBytes', databaseId })) as number;
  }

  async exists(databaseId: string): Promise<boolean> {
    return (await this.send({ op: 'exists', databaseId })) as boolean;
  }

  /**
   * History retention: the recorder of the file (opened if it is not) drops what a restore inside
   * the last `windowMs` cannot need. Whatever the recorder's `prune` returns; null without one.
   */
  async pruneHistory(databaseId: string, windowMs: number): Promise<unknown> {
    return this.send({ op: 'pruneHistory', databaseId, windowMs });
  }

  /** Starts every host process ahead of the first request. */
  async warm(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.generationFor(slot).ready));
  }

  /** Process ids of the hosts (tests, metrics). */
  hostPids(): (number | undefined)[] {
    return this.slots.map((slot) => slot.generation?.child.pid);
  }

  /** Lets requests already sent finish, checkpoints and closes every file, and stops the hosts. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const generation = slot.generation;
        if (!generation) return;
        generation.child.ref();
        if (generation.child.connected) generation.child.send({ type: 'close' } satisfies ParentMessage);
        const killer = setTimeout(() => generation.child.kill('SIGKILL'), 15_000);
        await generation.exited;
        clearTimeout(killer);
      }),
    );
  }
}

export function createDatabaseHost(options: DatabaseHostOptions): DatabaseHost {
  return new DatabaseHost(options);
}
