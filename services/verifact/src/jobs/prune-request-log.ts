import type { JobDefinition, ServiceContext } from '@trustplane/kernel';
import { loadVerifactConfig } from '../config.js';
import { createRequestLogRepository } from '../db/request-log-repository.js';
import type { VerifactDatabase } from '../db/tables.js';

export const PRUNE_REQUEST_LOG_QUEUE = 'verifact.prune-request-log';
/** Hourly, at a minute other services are unlikely to pick. */
export const PRUNE_REQUEST_LOG_SCHEDULE = '29 * * * *';

/**
 * Deletes request-log rows past the retention (`VERIFACT_REQUEST_LOG_RETENTION_DAYS`, at least
 * 2 days so the sliding 24 h window is never cut into). Nothing else reads the log: usage and
 * billing come from `usage_events`.
 */
export function pruneRequestLogJob(context: ServiceContext): JobDefinition<{ version: 1 }> {
  return {
    queue: PRUNE_REQUEST_LOG_QUEUE,
    retryLimit: 3,
    expireInSeconds: 1800,
    async handle(_data, job) {
      const { requestLogRetentionDays } = loadVerifactConfig(process.env);
      const deleted = await createRequestLogRepository(context.database<VerifactDatabase>().kysely).prune(
        requestLogRetentionDays,
      );
      job.logger.info({ deleted, retentionDays: requestLogRetentionDays }, 'verifact: request log pruned');
    },
  };
}
