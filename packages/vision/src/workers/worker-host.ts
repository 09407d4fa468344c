/**
 * The thread side of `VisionWorkerPool`: runs the named export of a module for each request, one
 * request at a time (the engines it loads, tfjs and human's detect state, are not re-entrant), and
 * answers with its result. A module is imported once per thread and keeps its state (loaded models,
 * an OCR pool, frames kept for a video) between requests.
 */
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { HostRequest, HostResponse } from './worker-pool.js';

/**
 * This thread runs 10 nice levels below the process (so below its event loop): on Linux the nice
 * value is per thread (pid 0 is the calling thread), and the threads it starts (OCR workers)
 * inherit it. On a machine with fewer cores than busy threads, the scheduler serves the HTTP thread
 * first.
 */
export const VISION_THREAD_NICE_OFFSET = 10;
try {
  os.setPriority(0, Math.min(19, os.getPriority(0) + VISION_THREAD_NICE_OFFSET));
} catch {
  // Not permitted here (some containers): the work still runs off the event loop.
}

const port = parentPort;
/** Requests the pool stopped waiting for before their turn came: skipped. */
const cancelled = new Set<number>();
let queue: Promise<void> = Promise.resolve();

async function run(request: Extract<HostRequest, { type: 'run' }>): Promise<unknown> {
  const loaded = (await import(request.module)) as Record<string, unknown>;
  const task = loaded[request.name];
  if (typeof task !== 'function') throw new Error(`${request.name} is not a function of ${request.module}`);
  return task(...request.args);
}

if (port) {
  port.on('message', (request: HostRequest) => {
    if (request.type === 'cancel') {
      cancelled.add(request.id);
      return;
    }
    queue = queue.then(async () => {
      if (cancelled.delete(request.id)) return;
      try {
        const result = await run(request);
        port.postMessage({ id: request.id, ok: true, result } satisfies HostResponse);
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        port.postMessage({
          id: request.id,
          ok: false,
          error: {
            name: failure.name,
            message: failure.message,
            code: (failure as NodeJS.ErrnoException).code,
          },
        } satisfies HostResponse);
      }
    });
  });
}
