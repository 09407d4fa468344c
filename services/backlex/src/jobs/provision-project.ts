import { defineJob } from '@trustplane/kernel';
import { z } from 'zod';
import type { Provisioning } from '../projects/provisioning.js';

export const PROVISION_QUEUE = 'backlex.provision-project';

/**
 * Provisions one project (sent with its creation or its provision-retry, in that transaction).
 * Three tries, a second apart: a run that dies between steps is retried from a fresh file; the
 * last failure makes the project `failed` with `provisionError`.
 */
export function provisionProjectJob(provisioning: () => Provisioning) {
  return defineJob({
    name: PROVISION_QUEUE,
    version: 1,
    payload: z.object({ projectId: z.string().min(1) }),
    dedupe: { key: (payload) => payload.projectId, while: 'queued' },
    retry: { limit: 2, delaySeconds: 1, backoff: false },
    timeoutSeconds: 120,
    liveness: { heartbeatSeconds: 10 },
    concurrency: 2,
    async handle(payload, job) {
      const outcome = await provisioning().provision(payload.projectId, { lastAttempt: job.lastAttempt });
      job.logger.info({ projectId: payload.projectId, outcome }, 'backlex: provisioning run');
    },
  });
}

export const PURGE_QUEUE = 'backlex.purge-deleted-projects';

/** Hourly: files of projects deleted more than 7 days ago are removed (`Provisioning.purgeDeleted`). */
export function purgeDeletedProjectsJob(provisioning: () => Provisioning) {
  return defineJob({
    name: PURGE_QUEUE,
    version: 1,
    payload: z.object({}),
    schedule: { cron: '17 * * * *', payload: {} },
    dedupe: { key: () => 'purge', while: 'queued-or-running' },
    retry: { limit: 3, delaySeconds: 60, backoff: true },
    timeoutSeconds: 600,
    async handle(_payload, job) {
      const purged = await provisioning().purgeDeleted(new Date());
      if (purged.length > 0) job.logger.info({ purged }, 'backlex: deleted projects purged');
    },
  });
}
