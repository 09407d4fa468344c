import { defineJob } from '@trustplane/kernel';
import { z } from 'zod';
import type { Backups } from '../projects/backups.js';

export const RUN_BACKUP_QUEUE = 'backlex.run-backup';

/**
 * Takes one backup (sent with its `POST …/backups` or by the daily job, in that transaction).
 * Three tries, five seconds apart; the last failure marks it `failed` with `error`.
 */
export function runBackupJob(backups: () => Backups) {
  return defineJob({
    name: RUN_BACKUP_QUEUE,
    version: 1,
    payload: z.object({ backupId: z.string().min(1) }),
    dedupe: { key: (payload) => payload.backupId, while: 'queued' },
    retry: { limit: 2, delaySeconds: 5, backoff: false },
    timeoutSeconds: 900,
    liveness: { heartbeatSeconds: 15 },
    concurrency: 1,
    async handle(payload, job) {
      const outcome = await backups().run(payload.backupId, { lastAttempt: job.lastAttempt });
      job.logger.info({ backupId: payload.backupId, outcome }, 'backlex: backup run');
    },
  });
}

export const DAILY_BACKUPS_QUEUE = 'backlex.daily-backups';

/** Daily at 03:23 UTC: an `auto` backup of every active project (`Backups.requestDaily`). */
export function dailyBackupsJob(backups: () => Backups) {
  return defineJob({
    name: DAILY_BACKUPS_QUEUE,
    version: 1,
    payload: z.object({}),
    schedule: { cron: '23 3 * * *', payload: {} },
    dedupe: { key: () => 'daily', while: 'queued-or-running' },
    retry: { limit: 3, delaySeconds: 300, backoff: true },
    timeoutSeconds: 1800,
    async handle(_payload, job) {
      const requested = await backups().requestDaily(new Date());
      job.logger.info({ requested: requested.length }, 'backlex: daily backups requested');
    },
  });
}

export const HISTORY_RETENTION_QUEUE = 'backlex.history-retention';

/**
 * Hourly: every live project's history (and its branches') is pruned to the plan's PITR window,
 * and `auto` backups past it are deleted (`Backups.applyRetention`).
 */
export function historyRetentionJob(backups: () => Backups) {
  return defineJob({
    name: HISTORY_RETENTION_QUEUE,
    version: 1,
    payload: z.object({}),
    schedule: { cron: '41 * * * *', payload: {} },
    dedupe: { key: () => 'retention', while: 'queued-or-running' },
    retry: { limit: 3, delaySeconds: 120, backoff: true },
    timeoutSeconds: 1800,
    async handle(_payload, job) {
      const outcome = await backups().applyRetention(new Date());
      job.logger.info(outcome, 'backlex: history retention applied');
    },
  });
}
