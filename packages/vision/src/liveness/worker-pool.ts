import {
  type CallOptions,
  defaultVisionWorkers,
  type PoolWorker,
  visionWorkerPool,
  type VisionWorkerPool,
  closeVisionWorkers,
  workerTask,
} from '../workers/worker-pool.js';
import type { handleWorkerRequest, WorkerRequest } from './liveness-worker.js';

export type { PoolWorker } from '../workers/worker-pool.js';

const LIVENESS_TASK = workerTask<typeof handleWorkerRequest>(
  new URL('./liveness-worker.ts', import.meta.url),
  'handleWorkerRequest',
);

/**
 * The liveness requests (`liveness-worker.ts`) on the process's vision worker threads, so face
 * analysis never blocks the caller's event loop (an HTTP server, a pg-boss worker). Frames stay in
 * the thread that analysed them: `pick` a worker and send a video's requests to it.
 */
export class LivenessWorkerPool {
  constructor(readonly pool: VisionWorkerPool) {}

  get size(): number {
    return this.pool.size;
  }

  /** The least busy worker. */
  pick(): PoolWorker {
    return this.pool.pick();
  }

  /** All workers (spawning them if needed). */
  all(): PoolWorker[] {
    return this.pool.all();
  }

  /** Sends a request to a worker (transferring `transfer`), resolving with its answer. */
  request<T>(entry: PoolWorker, payload: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<T> {
    const options: CallOptions = { transfer };
    return this.pool.call(entry, LIVENESS_TASK, [payload], options) as Promise<T>;
  }

  /** Number of requests not answered yet, over all workers. */
  get busy(): number {
    return this.pool.busy;
  }

  /** Resolves once fewer than `maxBusy` requests are outstanding. */
  waitForCapacity(maxBusy: number): Promise<void> {
    return this.pool.waitForCapacity(maxBusy);
  }

  /** Loads the models in every worker (start-up warm-up); resolves with the model versions. */
  async warm(): Promise<Record<string, string>> {
    const versions = await Promise.all(
      this.all().map((entry) => this.request<Record<string, string>>(entry, { type: 'warm' })),
    );
    return versions[0] ?? {};
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Default size of the shared vision pool (see `defaultVisionWorkers`). */
export const defaultLivenessWorkers = defaultVisionWorkers;

/** The process's liveness view of its shared vision pool (models are loaded once per thread). */
export function livenessWorkerPool(): LivenessWorkerPool {
  return new LivenessWorkerPool(visionWorkerPool());
}

export const closeLivenessWorkers = closeVisionWorkers;
