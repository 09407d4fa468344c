import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import { auditActor, type OrgAccess } from '../auth/principal.js';
import { newId } from '../db/ids.js';
import type { ProjectRepository, ProjectRow } from '../db/project-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import { AlarmTakenError, type UsageRepository } from '../db/usage-repository.js';
import type { AlarmMetric } from '../db/usage-tables.js';
import { errors } from '../errors.js';
import type { Usage } from './usage.js';

export interface AlarmsDeps {
  projects: ProjectRepository;
  repository: UsageRepository;
  usage: Usage;
  audit: AuditLog;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
  logWarning(message: string, fields: Record<string, unknown>): void;
}

/**
 * Usage alarms on a project (issue 17): `metric` requests|d1|r2 at `thresholdPct` % of the org's
 * allowance (plan + packs) used by this project in the billing period. One per metric and
 * threshold (409 `ALARM_EXISTS`); they fire from the evaluation after usage flushes.
 */
export function createAlarms(deps: AlarmsDeps) {
  async function liveProject(access: OrgAccess, slug: string, trx?: Transaction<BacklexDatabase>) {
    const project: ProjectRow | undefined = trx
      ? await deps.projects.lockLive(trx, access.org.id, slug)
      : await deps.projects.findLive(access.org.id, slug);
    if (!project) throw errors.NOT_FOUND();
    return project;
  }

  return {
    async list(access: OrgAccess, slug: string) {
      const project = await liveProject(access, slug);
      const [alarms, usage] = await Promise.all([
        deps.repository.listAlarms(project.id),
        deps.usage.periodUsage(access.org.id, access.org.planId),
      ]);
      return alarms.map((alarm) => deps.usage.alarmView(alarm, usage));
    },

    async create(access: OrgAccess, slug: string, input: { metric: AlarmMetric; thresholdPct: number }) {
      const alarm = await deps.transaction(async (trx) => {
        const project = await liveProject(access, slug, trx);
        const actorId = access.principal.kind === 'user' ? access.principal.userId : access.principal.keyId;
        let row: Awaited<ReturnType<UsageRepository['insertAlarm']>>;
        try {
          row = await deps.repository.insertAlarm(trx, {
            id: newId('alm'),
            projectId: project.id,
            orgId: access.org.id,
            metric: input.metric,
            thresholdPct: input.thresholdPct,
            createdBy: actorId,
          });
        } catch (error) {
          if (error instanceof AlarmTakenError) throw errors.ALARM_EXISTS();
          throw error;
        }
        await deps.audit.record(trx, {
          organizationId: access.org.id,
          actor: auditActor(access.principal),
          action: 'alarm.created',
          target: { type: 'alarm', id: row.id },
          ip: access.ip,
          data: { project: project.slug, metric: input.metric, thresholdPct: input.thresholdPct },
        });
        return row;
      });
      // An alarm already past its threshold fires now rather than at the next flush.
      void deps.usage.evaluate(access.org.id).catch((error: unknown) =>
        deps.logWarning('backlex usage: evaluation after an alarm was created failed', {
          orgId: access.org.id,
          error: String(error),
        }),
      );
      return deps.usage.alarmView(alarm, await deps.usage.periodUsage(access.org.id, access.org.planId));
    },

    async remove(access: OrgAccess, slug: string, id: string): Promise<void> {
      await deps.transaction(async (trx) => {
        const project = await liveProject(access, slug, trx);
        const removed = await deps.repository.deleteAlarm(trx, project.id, id);
        if (!removed) throw errors.NOT_FOUND();
        await deps.audit.record(trx, {
          organizationId: access.org.id,
          actor: auditActor(access.principal),
          action: 'alarm.deleted',
          target: { type: 'alarm', id: removed.id },
          ip: access.ip,
          data: { project: project.slug, metric: removed.metric, thresholdPct: removed.threshold_pct },
        });
      });
    },
  };
}

export type Alarms = ReturnType<typeof createAlarms>;
