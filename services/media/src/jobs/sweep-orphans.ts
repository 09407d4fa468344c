import { defineJob } from '@trustplane/kernel';
import { z } from 'zod';
import type { OrphanSweeper } from '../media/orphan-sweeper.js';

export const SWEEP_ORPHANS_QUEUE = 'media.sweep-orphans';
const MAX_SWEEP_MINUTES = 10;

/**
 * Removes what interrupted uploads leave (staged files, blobs without their row) once they are
 * older than the grace period: every `min(grace, 10 min)` (whole minutes, at least one), and once
 * when the workers start (`sweepAtBoot`).
 */
export function sweepOrphansJob(sweeper: OrphanSweeper, graceMs: number) {
  const minutes = Math.min(MAX_SWEEP_MINUTES, Math.max(1, Math.ceil(graceMs / 60_000)));
  return defineJob({
    name: SWEEP_ORPHANS_QUEUE,
    version: 1,
    payload: z.object({}),
    schedule: { cron: minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`, payload: {} },
    retry: { limit: 2, delaySeconds: 30, backoff: true },
    timeoutSeconds: 600,
    async handle() {
      await sweeper.sweep();
    },
  });
}
