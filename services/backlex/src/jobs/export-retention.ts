import { defineScheduledJob } from '@trustplane/kernel';
import type { ExportRetention } from '../projects/export-retention.js';

export const EXPORT_RETENTION_QUEUE = 'backlex.export-retention';

/**
 * Hourly: export dumps older than their retention (a day) are deleted, objects and rows, and
 * forgotten by usage's r2 ledger (`ExportRetention.prune`). Idempotent.
 */
export function exportRetentionJob(retention: () => ExportRetention) {
  return defineScheduledJob({
    name: EXPORT_RETENTION_QUEUE,
    cron: '29 * * * *',
    retry: { limit: 2, delaySeconds: 120, backoff: true },
    timeoutSeconds: 900,
    done: 'backlex: export retention applied',
    run: () => retention().prune(new Date()),
  });
}
