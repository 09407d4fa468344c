import os from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * A function a worker thread runs: the named export of a module (a `file:` URL of this code base,
 * never anything a client sends). Its arguments and result cross the thread by structured clone.
 */
export interface WorkerTask<Args extends unknown[], Result> {
  module: string;
  name: string;
  /** Type only: the signature of the task. */
  readonly signature?: (...args: Args) => Result;
}

/** Names `name` of `module` as a task; the type parameter is the function's type (`typeof fn`). */
export function workerTask<F extends (...args: never[]) => unknown>(
  module: URL,
  name: string,
): WorkerTask<Parameters<F>, Awaited<ReturnType<F>>> {
  if (module.protocol !== 'file:') throw new Error(`worker task modules are local files: ${module.href}`);
  return { module: module.href, name };
}

export type HostRequest =
  | { type: 'run'; id: number; module: string; name: string; args: unknown[] }
  | { type: 'cancel'; id: number };

export type HostResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string; code?: string | undefined } };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export interface PoolWorker {
  worker: Worker;
  /** Requests sent and not answered, in the order the worker runs them. */
  pending: Map<number, Pending>;
  dead: boolean;
}

export interface CallOptions {
  /** Buffers moved to the worker instead of copied. */
  transfer?: ArrayBuffer[];
  /**
   * Stops waiting when it aborts (its reason is the rejection). A request the worker is running
   * takes its thread down with it (CPU work cannot be interrupted otherwise): the other requests
   * of that thread fail too, and the thread is replaced on the next call.
   */
  signal?: AbortSignal;
}

/** The error a task threw in its thread, with its name, message and code. */
export class WorkerTaskError extends Error {
  constructor(error: { name: string; message: string; code?: string | undefined }) {
    super(error.message);
    this.name = error.name;
    if (error.code !== undefined) (this as NodeJS.ErrnoException).code = error.code;
  }
}

/**
 * Worker threads for the CPU-heavy vision work of every service of a process (face detection,
 * OCR and MRZ reading, ELA, FFT, liveness frames), so it never runs on the event loop that serves
 * HTTP. Each thread runs one request at a time and keeps the modules it loaded (their models)
 * between requests; idle threads are unref'd, so they never keep a process alive.
 */
export class VisionWorkerPool {
  private readonly workers: PoolWorker[] = [];
  private readonly waiters: (() => void)[] = [];
  private nextId = 1;

  constructor(readonly size: number) {}

  private spawn(): PoolWorker {
    const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url));
    const entry: PoolWorker = { worker, pending: new Map(), dead: false };
    worker.on('message', (response: HostResponse) => {
      const waiter = entry.pending.get(response.id);
      if (!waiter) return;
      entry.pending.delete(response.id);
      if (entry.pending.size === 0) worker.unref();
      this.wake();
      if (response.ok) waiter.resolve(response.result);
      else waiter.reject(new WorkerTaskError(response.error));
    });
    const fail = (error: Error) => {
      if (entry.dead) return;
      entry.dead = true;
      for (const waiter of entry.pending.values()) waiter.reject(error);
      entry.pending.clear();
      this.wake();
      const index = this.workers.indexOf(entry);
      if (index >= 0) this.workers.splice(index, 1);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`vision worker exited (${code})`)));
    worker.unref();
    return entry;
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** The workers, spawning up to `size`. */
  private ensure(): PoolWorker[] {
    while (this.workers.length < this.size) this.workers.push(this.spawn());
    return this.workers;
  }

  /** The least busy worker. */
  pick(): PoolWorker {
    return this.ensure().reduce((best, entry) => (entry.pending.size < best.pending.size ? entry : best));
  }

  /** All workers (spawning them if needed). */
  all(): PoolWorker[] {
    return [...this.ensure()];
  }

  /** Runs `task` on `entry` (a worker kept for requests that share state, like a video's frames). */
  call<Args extends unknown[], Result>(
    entry: PoolWorker,
    task: WorkerTask<Args, Result>,
    args: Args,
    options: CallOptions = {},
  ): Promise<Result> {
    if (entry.dead) return Promise.reject(new Error('vision worker is gone'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.nextId;
    this.nextId += 1;
    return new Promise<Result>((resolve, reject) => {
      const onAbort = () => {
        if (!entry.pending.has(id)) return;
        const running = entry.pending.keys().next().value === id;
        entry.pending.delete(id);
        reject(signal?.reason);
        if (running) void entry.worker.terminate();
        else entry.worker.postMessage({ type: 'cancel', id } satisfies HostRequest);
        this.wake();
      };
      const settle =
        <T>(done: (value: T) => void) =>
        (value: T) => {
          signal?.removeEventListener('abort', onAbort);
          done(value);
        };
      entry.pending.set(id, { resolve: settle(resolve as (value: unknown) => void), reject: settle(reject) });
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.worker.ref();
      entry.worker.postMessage(
        { type: 'run', id, module: task.module, name: task.name, args } satisfies HostRequest,
        options.transfer ?? [],
      );
    });
  }

  /** Runs `task` on the least busy worker. */
  run<Args extends unknown[], Result>(
    task: WorkerTask<Args, Result>,
    args: Args,
    options: CallOptions = {},
  ): Promise<Result> {
    return this.call(this.pick(), task, args, options);
  }

  /** Number of requests not answered yet, over all workers. */
  get busy(): number {
    return this.workers.reduce((sum, entry) => sum + entry.pending.size, 0);
  }

  /** Resolves once fewer than `maxBusy` requests are outstanding. */
  async waitForCapacity(maxBusy: number): Promise<void> {
    while (this.busy >= maxBusy) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((entry) => entry.worker.terminate()));
  }
}

let shared: VisionWorkerPool | undefined;

/**
 * Default size: 2 threads (one per core of the reference machine), at most the cores available;
 * `TRUSTPLANE_VISION_WORKERS` (or, as before, `LIVENESS_WORKERS`) overrides.
 */
export function defaultVisionWorkers(): number {
  for (const value of [process.env.TRUSTPLANE_VISION_WORKERS, process.env.LIVENESS_WORKERS]) {
    const configured = Number(value);
    if (Number.isInteger(configured) && configured > 0) return configured;
  }
  return Math.max(1, Math.min(2, os.availableParallelism()));
}

/** The process's shared pool: every service of the process uses it, so models load once per thread. */
export function visionWorkerPool(): VisionWorkerPool {
  shared ??= new VisionWorkerPool(defaultVisionWorkers());
  return shared;
}

export async function closeVisionWorkers(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
