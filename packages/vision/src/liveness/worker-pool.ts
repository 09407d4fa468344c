import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { WorkerRequest, WorkerResponse } from './liveness-worker.js';

type Payload = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export interface PoolWorker {
  worker: Worker;
  pending: Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>;
  dead: boolean;
}

/**
 * Worker threads running `liveness-worker.ts`, so face analysis never blocks the caller's
 * event loop (an HTTP server, a pg-boss worker). Idle workers are unref'd: they keep their
 * loaded models but do not keep the process alive.
 */
export class LivenessWorkerPool {
  private readonly workers: PoolWorker[] = [];
  private readonly waiters: (() => void)[] = [];
  private nextId = 1;

  constructor(readonly size: number) {}

  private spawn(): PoolWorker {
    const worker = new Worker(new URL('./liveness-worker-entry.mjs', import.meta.url));
    const entry: PoolWorker = { worker, pending: new Map(), dead: false };
    worker.on('message', (response: WorkerResponse) => {
      const waiter = entry.pending.get(response.id);
      if (!waiter) return;
      entry.pending.delete(response.id);
      if (entry.pending.size === 0) worker.unref();
      for (const wake of this.waiters.splice(0)) wake();
      if (response.ok) waiter.resolve(response.result);
      else waiter.reject(new Error(response.error));
    });
    const fail = (error: Error) => {
      entry.dead = true;
      for (const waiter of entry.pending.values()) waiter.reject(error);
      entry.pending.clear();
      for (const wake of this.waiters.splice(0)) wake();
      const index = this.workers.indexOf(entry);
      if (index >= 0) this.workers.splice(index, 1);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`liveness worker exited (${code})`)));
    worker.unref();
    return entry;
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

  /** Sends a request to a worker (transferring `transfer`), resolving with its answer. */
  request<T>(entry: PoolWorker, payload: Payload, transfer: ArrayBuffer[] = []): Promise<T> {
    if (entry.dead) return Promise.reject(new Error('liveness worker is gone'));
    const id = this.nextId;
    this.nextId += 1;
    return new Promise<T>((resolve, reject) => {
      entry.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      entry.worker.ref();
      entry.worker.postMessage({ ...payload, id }, transfer);
    });
  }

  /** Number of requests not answered yet, over all workers. */
  get busy(): number {
    return this.workers.reduce((sum, entry) => sum + entry.pending.size, 0);
  }

  /** Resolves once fewer than `maxBusy` requests are outstanding. */
  async waitForCapacity(maxBusy: number): Promise<void> {
    while (this.busy >= maxBusy) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Loads the models in every worker (start-up warm-up); resolves with the model versions. */
  async warm(): Promise<Record<string, string>> {
    const versions = await Promise.all(
      this.all().map((entry) => this.request<Record<string, string>>(entry, { type: 'warm' })),
    );
    return versions[0] ?? {};
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((entry) => entry.worker.terminate()));
  }
}

let shared: LivenessWorkerPool | undefined;

/** Default size: 2 workers (one per core of the reference machine), at most the cores available. */
export function defaultLivenessWorkers(): number {
  const configured = Number(process.env.LIVENESS_WORKERS);
  if (Number.isInteger(configured) && configured > 0) return configured;
  return Math.max(1, Math.min(2, os.availableParallelism()));
}

/** The process's shared pool (models are loaded once per worker, so one pool per process). */
export function livenessWorkerPool(): LivenessWorkerPool {
  shared ??= new LivenessWorkerPool(defaultLivenessWorkers());
  return shared;
}

export async function closeLivenessWorkers(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
