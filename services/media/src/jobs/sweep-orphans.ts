import { defineScheduledJob } from '@trustplane/kernel';
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
  return defineScheduledJob({
    name: SWEEP_ORPHANS_QUEUE,
    cron: minutes === 1 ? '* * * * *' : `*/${minutes} * * * *`,
    retry: { limit: 2, delaySeconds: 30, backoff: true },
    timeoutSeconds: 600,
    async run() {
      await sweeper.sweep();
      return undefined;
    },
  });
}
