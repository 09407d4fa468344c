import { defineJob } from '@trustplane/kernel';
import { z } from 'zod';
import type { FanOut } from '../events/fan-out.js';

export const FAN_OUT_QUEUE = 'backlex.fan-out-event';

/**
 * Fans one event out (sent with the event, in the transaction that records it). Idempotent: the
 * fan-out commits together with the event's `fanned_out_at`, so a retry after a crash finds it
 * done or redoes all of it. One job per event.
 */
export function fanOutEventJob(fanOut: () => FanOut) {
  return defineJob({
    name: FAN_OUT_QUEUE,
    version: 1,
    payload: z.object({ eventId: z.string().uuid() }),
    dedupe: { key: (payload) => payload.eventId, while: 'queued' },
    retry: { limit: 10, delaySeconds: 5, backoff: true },
    timeoutSeconds: 60,
    // Each fan-out is a short transaction of its own: two loops fetching 8 at a time keep up with a
    // burst of events (one job each) instead of fetching, running and completing them one by one.
    concurrency: 2,
    batchSize: 8,
    largeBacklog: true,
    async handle(payload, job) {
      const result = await fanOut().run(payload.eventId);
      if (result) job.logger.debug({ eventId: payload.eventId, ...result }, 'backlex: event fanned out');
    },
  });
}

export type FanOutEventJob = ReturnType<typeof fanOutEventJob>;
