import {
  type AnyJobDefinition,
  afterCommit,
  PgListener,
  perContext,
  type ServiceContext,
} from '@trustplane/kernel';
import type { Transaction } from 'kysely';
import { createAuditLog } from './audit/audit.js';
import { backlexBilling } from './billing-composition.js';
import { createAuditRepository } from './db/audit-repository.js';
import { planIdOf } from './db/org-repository.js';
import { createProjectRepository } from './db/project-repository.js';
import type { BacklexDatabase } from './db/tables.js';
import { createUsageRepository, ENFORCEMENT_CHANNEL } from './db/usage-repository.js';
import type { StoredObjectKind } from './db/usage-tables.js';
import { backlexEvents } from './events-composition.js';
import { usageSampleJob } from './jobs/usage-sample.js';
import { backlexProjects } from './projects-composition.js';
import { createAlarms } from './usage/alarms.js';
import { createUsage } from './usage/usage.js';
import { createUsageGate } from './usage/usage-gate.js';

/** `BACKLEX_USAGE_FLUSH_MS` (default 5000): how often request counts are flushed and evaluated. */
export function usageFlushIntervalMs(env: Readonly<NodeJS.ProcessEnv>): number {
  const value = Number(env.BACKLEX_USAGE_FLUSH_MS);
  return Number.isInteger(value) && value >= 50 ? value : 5000;
}

/**
 * Usage, alarms and enforcement (issue 17, h17-usage), one set per context. The gate is what the
 * data API calls; billing, the projects' files and the events are reached lazily (they, in turn,
 * reach this area lazily: billing's `enforcement`, the data API's hook).
 */
export function createBacklexUsage(context: ServiceContext) {
  const database = context.database<BacklexDatabase>();
  const db = database.kysely;
  const repository = createUsageRepository(db);
  // Billing's clock (tests move it), looked up once.
  let billingClock: { now(): Date } | undefined;
  const clock = {
    now: () => {
      billingClock ??= backlexBilling(context).clock;
      return billingClock.now();
    },
  };
  const logWarning = (message: string, fields: Record<string, unknown>) =>
    context.logger.warn(fields, message);
  const usage = createUsage({
    repository,
    planIdOf: (orgId) => planIdOf(db, orgId),
    allowance: (orgId) => backlexBilling(context).billing.allowance(orgId),
    sizeBytes: (id) => backlexProjects(context).databases.sizeBytes(id),
    get events() {
      return backlexEvents(context).events;
    },
    transaction: database.transaction,
    applyEnforcement: (orgId, state) => gate.apply(orgId, state),
    now: clock.now,
    logWarning,
  });
  const gate = createUsageGate({
    repository,
    clock,
    flushIntervalMs: usageFlushIntervalMs(context.env),
    afterFlush: (flushed) => usage.afterFlush(flushed),
    async listen(handlers) {
      const listener = new PgListener({
        pool: database.pool,
        channels: [ENFORCEMENT_CHANNEL],
        logger: context.logger,
        onNotification: (_channel, orgId) => handlers.onChange(orgId),
        onConnected: handlers.onConnected,
      });
      await listener.start();
      return () => listener.stop();
    },
    logWarning,
  });
  context.onClose(() => gate.close());
  const sampleJob = usageSampleJob(() => usage);
  return {
    repository,
    usage,
    gate,
    alarms: createAlarms({
      projects: createProjectRepository(db),
      repository,
      usage,
      audit: createAuditLog(createAuditRepository(db)),
      transaction: database.transaction,
      logWarning,
    }),
    /**
     * The r2 side of usage, for backups (h17-backups) and exports (h17-domains): record an object
     * kept for a project when it is stored (in the transaction that records it, if any), forget it
     * when it is deleted. Idempotent by (`kind`, `key`). The project is resampled at the next flush.
     */
    storedObjects: {
      async record(
        executor: Transaction<BacklexDatabase> | undefined,
        object: { kind: StoredObjectKind; key: string; projectId: string; sizeBytes: number; at?: Date },
      ): Promise<void> {
        await repository.recordStoredObject(executor ?? db, object);
        // Resampled once committed: a flush in between would read the old bytes and clear the mark.
        afterCommit(executor ?? db, () => gate.changed(object.projectId));
      },
      async forget(
        executor: Transaction<BacklexDatabase> | undefined,
        object: { kind: StoredObjectKind; key: string; at?: Date },
      ): Promise<void> {
        const projectId = await repository.forgetStoredObject(executor ?? db, object);
        if (projectId) afterCommit(executor ?? db, () => gate.changed(projectId));
      },
      /** Bytes stored per project at some moment of the UTC day `day` (`YYYY-MM-DD`). */
      objectBytesByProject: (day: string) => repository.objectBytesByProject(day),
    },
    /** billing's `enforcement` of the snapshot: the stored state (a throttle ends with its period). */
    async enforcementOf(orgId: string): Promise<{ requestThrottled: boolean; storageReadOnly: boolean }> {
      const state = await repository.enforcementOf(orgId);
      const now = clock.now().getTime();
      return {
        requestThrottled: state?.requestThrottled === true && state.periodEnd.getTime() > now,
        storageReadOnly: state?.storageReadOnly === true,
      };
    },
    jobs: { sample: sampleJob },
    jobDefinitions: [sampleJob] as AnyJobDefinition[],
  };
}

export type BacklexUsage = ReturnType<typeof createBacklexUsage>;

export const backlexUsage: (context: ServiceContext) => BacklexUsage = perContext(createBacklexUsage);
