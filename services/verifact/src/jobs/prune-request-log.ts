import { defineScheduledJob } from '@trustplane/kernel';
import type { RequestLogRepository } from '../db/request-log-repository.js';

export const PRUNE_REQUEST_LOG_QUEUE = 'verifact.prune-request-log';
/** Hourly, at a minute other services are unlikely to pick. */
export const PRUNE_REQUEST_LOG_SCHEDULE = '29 * * * *';

/**
 * Deletes request-log rows past the retention (`VERIFACT_REQUEST_LOG_RETENTION_DAYS`, at least
 * 2 days so the sliding 24 h window is never cut into). Nothing else reads the log: usage and
 * billing come from `usage_events`. One run at a time: the next hour's catches up anyway.
 */
export function pruneRequestLogJob(deps: { requestLog: RequestLogRepository; retentionDays: number }) {
  return defineScheduledJob({
    name: PRUNE_REQUEST_LOG_QUEUE,
    cron: PRUNE_REQUEST_LOG_SCHEDULE,
    retry: { limit: 3, delaySeconds: 30, backoff: true },
    timeoutSeconds: 1800,
    run: async () => ({
      deleted: await deps.requestLog.prune(deps.retentionDays),
      retentionDays: deps.retentionDays,
    }),
    done: 'verifact: request log pruned',
  });
}
