import { z } from 'zod';
import { defineJob, type JobContext } from '../../src/jobs/job-queue.js';

/** A job with worker liveness and an expiry far beyond the test: only liveness can hand it back. */
export function livenessJob(handle: (context: JobContext) => Promise<void>) {
  return defineJob({
    name: 'test.liveness',
    version: 1,
    payload: z.object({}),
    retry: { limit: 2, delaySeconds: 1, backoff: false },
    timeoutSeconds: 600,
    liveness: { heartbeatSeconds: 1 },
    pollingIntervalSeconds: 0.5,
    handle: (_payload, context) => handle(context),
  });
}
