import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { errors } from '../errors.js';
import type { ByteParts } from '../photos/photo-parts.js';
import { countAssertions } from './manifest-store-bounds.js';

/** What reading a photo's C2PA data came to. */
export type ReadOutcome =
  | { kind: 'none' }
  | { kind: 'store'; json: string }
  | { kind: 'error'; message: string }
  /** The reader ran out of memory or time (a bomb): its process was killed and replaced. */
  | { kind: 'resource_limit'; reason: string };

export interface VerifierPoolOptions {
  processes: number;
  /** RLIMIT_DATA of each reader process (`prlimit --data`; `--as` would break Node's reservations). */
  memoryMb: number;
  timeoutMs: number;
  /** Photos allowed to wait for a process; one more is refused with 429. */
  queue: number;
  /** Most assertions one manifest may hold; more is answered as a resource limit without reading. */
  maxAssertions: number;
  /** c2pa-rs settings (JSON string): trust anchors, no remote fetch. */
  settings: string;
  logger: Logger;
}

interface Job {
  photo: ByteParts;
  mimeType: string;
  resolve(outcome: ReadOutcome): void;
}

interface Slot {
  child: ChildProcess | undefined;
  ready: Promise<void> | undefined;
  busy: { id: number; job: Job; timer: NodeJS.Timeout } | undefined;
}

const WORKER = fileURLToPath(new URL('./c2pa-worker.mjs', import.meta.url));

let prlimitAvailable: boolean | undefined;
function hasPrlimit(): boolean {
  prlimitAvailable ??= spawnSync('prlimit', ['--version'], { stdio: 'ignore' }).status === 0;
  return prlimitAvailable;
}

/**
 * A fixed set of reader processes fed from one bounded queue. c2pa-rs has no allocation or time
 * limits of its own (c2pa-rs #1885): each process has a data-segment limit, each read a deadline;
 * a process that dies or overruns is killed and respawned, and its photo is reported as a
 * resource-limit outcome. Other photos keep verifying on the other processes.
 */
export function createVerifierPool(options: VerifierPoolOptions) {
  const slots: Slot[] = Array.from({ length: options.processes }, () => ({
    child: undefined,
    ready: undefined,
    busy: undefined,
  }));
  const waiting: Job[] = [];
  let nextId = 1;
  let closed = false;

  function start(slot: Slot): Promise<void> {
    const node = [process.execPath, '--max-old-space-size=96', WORKER];
    const args = hasPrlimit() ? [`--data=${options.memoryMb * 1024 * 1024}`, ...node] : node.slice(1);
    const command = hasPrlimit() ? 'prlimit' : process.execPath;
    if (!hasPrlimit())
      options.logger.warn('prlimit not found: C2PA reader processes run without a memory limit');
    const child = spawn(command, args, {
      // Photos go in through stdin as raw bytes; requests and results through the IPC channel.
      stdio: ['pipe', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: process.env.NODE_ENV ?? '',
        // c2pa-node runs each read on a tokio runtime of one worker thread per core by default; a
        // reader process reads one photo at a time, so the other threads only woke to find nothing
        // to steal (measured: ≈ 0.5 ms of CPU per photo).
        TOKIO_WORKER_THREADS: '1',
      },
    });
    slot.child = child;
    child.stderr?.on('data', (chunk: Buffer) =>
      options.logger.debug({ stderr: chunk.toString('utf8').slice(0, 500) }, 'c2pa reader stderr'),
    );
    child.on('message', (message: { type: string; id?: number; outcome?: ReadOutcome }) => {
      if (message.type !== 'result' || !slot.busy || slot.busy.id !== message.id) return;
      finish(slot, message.outcome as ReadOutcome);
    });
    child.on('exit', (code, signal) => {
      if (slot.child !== child) return;
      slot.child = undefined;
      slot.ready = undefined;
      if (slot.busy) {
        options.logger.warn({ code, signal }, 'c2pa reader process died while reading');
        finish(slot, { kind: 'resource_limit', reason: `reader process ended (${signal ?? code})` });
      }
    });
    child.on('error', (error) => options.logger.error({ err: error }, 'c2pa reader process error'));
    // A reader killed while its photo is still being written: its exit is handled above.
    child.stdin?.on('error', () => undefined);
    slot.ready = new Promise<void>((resolve, reject) => {
      const onReady = (message: { type: string }) => {
        if (message.type !== 'ready') return;
        child.off('message', onReady);
        resolve();
      };
      child.on('message', onReady);
      child.once('exit', () => reject(new Error('c2pa reader process exited during start')));
      child.send({ type: 'init', settings: options.settings });
    });
    slot.ready.catch(() => undefined);
    return slot.ready;
  }

  function finish(slot: Slot, outcome: ReadOutcome): void {
    const busy = slot.busy;
    if (!busy) return;
    clearTimeout(busy.timer);
    slot.busy = undefined;
    busy.job.resolve(outcome);
    dispatch();
  }

  function kill(slot: Slot): void {
    const child = slot.child;
    slot.child = undefined;
    slot.ready = undefined;
    child?.kill('SIGKILL');
  }

  function run(slot: Slot, job: Job): void {
    const id = nextId++;
    const overrun = () => {
      options.logger.warn({ timeoutMs: options.timeoutMs }, 'c2pa read overran its deadline; process killed');
      kill(slot);
      finish(slot, { kind: 'resource_limit', reason: `read took over ${options.timeoutMs} ms` });
    };
    // Until the photo is handed over, only a start or a transfer that hangs is caught (generously).
    slot.busy = { id, job, timer: setTimeout(overrun, Math.max(options.timeoutMs, 30_000)) };
    const ready = slot.child && slot.ready ? slot.ready : start(slot);
    ready.then(
      () => {
        if (slot.busy?.id !== id) return;
        // The photo is not copied into an IPC message (a structured clone, and a second copy of
        // it in each process): one frame on stdin, its header then the request's own chunks,
        // written together (one writev).
        const stdin = slot.child?.stdin;
        if (!stdin) return;
        const header = Buffer.from(JSON.stringify({ id, length: job.photo.length, mimeType: job.mimeType }));
        const size = Buffer.alloc(4);
        size.writeUInt32BE(header.length);
        // The read's deadline bounds c2pa-rs, not the transfer: it starts once the last bytes are
        // in the pipe (a 25 MB photo crosses it in hundreds of hand-overs, which a loaded machine
        // schedules slowly). Until then the generous start deadline applies, which a reader that
        // stops draining its stdin still meets.
        const started = () => {
          const busy = slot.busy;
          if (busy?.id !== id) return;
          clearTimeout(busy.timer);
          busy.timer = setTimeout(overrun, options.timeoutMs);
        };
        const chunks = [size, header, ...job.photo.parts];
        stdin.cork();
        for (const [index, chunk] of chunks.entries()) {
          stdin.write(chunk, index === chunks.length - 1 ? started : undefined);
        }
        stdin.uncork();
      },
      () => {
        if (slot.busy?.id === id)
          finish(slot, { kind: 'resource_limit', reason: 'reader process failed to start' });
      },
    );
  }

  function dispatch(): void {
    if (closed) return;
    for (const slot of slots) {
      if (slot.busy) continue;
      const job = waiting.shift();
      if (!job) return;
      run(slot, job);
    }
  }

  return {
    /** Reads one photo; 429 `VERIFIER_BUSY` when every process is busy and the queue is full. */
    read(photo: ByteParts, mimeType: string): Promise<ReadOutcome> {
      if (closed) throw errors.verifierBusy();
      // c2pa-rs's reading time grows with the square of the assertion count (see
      // manifest-store-bounds.ts): such a store is refused before it costs a reader seconds.
      const assertions = countAssertions(photo, mimeType);
      if (assertions > options.maxAssertions)
        return Promise.resolve({ kind: 'resource_limit', reason: `a manifest of ${assertions} assertions` });
      const idle = slots.some((slot) => !slot.busy);
      if (!idle && waiting.length >= options.queue) throw errors.verifierBusy();
      return new Promise<ReadOutcome>((resolve) => {
        waiting.push({ photo, mimeType, resolve });
        dispatch();
      });
    },
    /** Starts the processes ahead of the first photo. */
    async warm(): Promise<void> {
      await Promise.all(slots.map((slot) => (slot.child && slot.ready ? slot.ready : start(slot))));
    },
    /** Photos being read and photos waiting (tests, metrics). */
    stats(): { busy: number; waiting: number } {
      return { busy: slots.filter((slot) => slot.busy).length, waiting: waiting.length };
    },
    /** Process ids of the readers (for tests and the benchmark's RSS sampling). */
    pids(): number[] {
      return slots.flatMap((slot) => (slot.child?.pid ? [slot.child.pid] : []));
    },
    async close(): Promise<void> {
      closed = true;
      for (const job of waiting.splice(0)) job.resolve({ kind: 'resource_limit', reason: 'shutting down' });
      for (const slot of slots) {
        if (slot.busy) finish(slot, { kind: 'resource_limit', reason: 'shutting down' });
        kill(slot);
      }
    },
  };
}

export type VerifierPool = ReturnType<typeof createVerifierPool>;
