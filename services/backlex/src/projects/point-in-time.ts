import fs from 'node:fs';
import path from 'node:path';
import { NoHistoryError, RestoreOutOfRangeError } from '@trustplane/sqlite-history';
import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import { auditActor, type OrgAccess } from '../auth/principal.js';
import { currentPlanOf } from '../billing/plan-catalogue.js';
import { newId } from '../db/ids.js';
import type { ProjectDeployRepository } from '../db/project-deploy-repository.js';
import type { ProjectRepository } from '../db/project-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import { errors } from '../errors.js';
import type { EventPublisher } from '../events/publish-event.js';
import { RESTORABLE } from './backups.js';
import type { ProjectDatabases } from './project-databases.js';
import type { ProjectHistory } from './project-history.js';

export interface PointInTimeDeps {
  projects: ProjectRepository;
  deploys: ProjectDeployRepository;
  databases: ProjectDatabases;
  history: ProjectHistory;
  scratchDir: string;
  audit: AuditLog;
  events: EventPublisher;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
  now?: () => number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** `timestamp` below 10^11 is Unix seconds (D1 style), else milliseconds. */
export function timestampToMs(timestamp: number): number {
  return timestamp < 1e11 ? timestamp * 1000 : timestamp;
}

function outOfRange(fromMs: number, toMs: number, message: string) {
  return errors.VALIDATION({
    details: {
      details: [
        {
          path: 'timestamp',
          location: 'body',
          message,
          validFrom: new Date(fromMs).toISOString(),
          validTo: new Date(toMs).toISOString(),
          validFromMs: fromMs,
          validToMs: toMs,
        },
      ],
    },
  });
}

/**
 * Point-in-time restore (issue 17): the project's file as of T — the newest history base taken at
 * or before T, plus the WAL frames of every commit through the last one at or before T —
 * rebuilt beside the live file, checkpointed (a plain file, no WAL) and swapped in by the host.
 * The swap is itself a recorded point of the history (a new base), so a restore is undone by
 * restoring to a time before it. Valid T: [max(now − plan window, project creation, oldest base
 * kept), now], else 422 `VALIDATION` with the range in `details`.
 */
export function createPointInTime(deps: PointInTimeDeps) {
  const now = deps.now ?? Date.now;
  return {
    async restore(access: OrgAccess, slug: string, timestamp: number): Promise<{ restoredTo: string }> {
      return deps.transaction(async (trx) => {
        const project = await deps.projects.lockLive(trx, access.org.id, slug);
        if (!project) throw errors.NOT_FOUND();
        if (!RESTORABLE.includes(project.status))
          throw errors.INVALID_PROJECT_STATE(project.status, RESTORABLE, 'a point-in-time restore');
        const plan = await currentPlanOf(trx, access.org.id);
        if (!plan) throw errors.NOT_FOUND();
        const nowMs = now();
        let fromMs = Math.max(nowMs - plan.pitrWindowDays * DAY_MS, project.created_at.getTime());
        try {
          fromMs = Math.max(fromMs, (await deps.history.range(project.id)).fromMs);
        } catch (error) {
          if (!(error instanceof NoHistoryError)) throw error;
          throw outOfRange(fromMs, nowMs, 'the project has no history yet');
        }
        const targetMs = timestampToMs(timestamp);
        if (!(targetMs >= fromMs && targetMs <= nowMs)) {
          throw outOfRange(
            fromMs,
            nowMs,
            `outside the restorable range (${plan.id}: ${plan.pitrWindowDays} day${plan.pitrWindowDays === 1 ? '' : 's'}, not before the project existed, not in the future)`,
          );
        }
        fs.mkdirSync(deps.scratchDir, { recursive: true });
        const outputPath = path.join(deps.scratchDir, `${project.id}-${newId('pitr')}.restore`);
        let restoredToMs: number;
        let sizeBytes: number;
        try {
          ({ restoredToMs } = await deps.history.restoreTo(project.id, targetMs, outputPath));
          ({ sizeBytes } = await deps.databases.replace(project.id, outputPath));
        } catch (error) {
          if (error instanceof RestoreOutOfRangeError)
            throw outOfRange(error.validFromMs, error.validToMs, error.message);
          throw error;
        } finally {
          fs.rmSync(outputPath, { force: true });
        }
        const restoredTo = new Date(restoredToMs).toISOString();
        const actorId = access.principal.kind === 'user' ? access.principal.userId : access.principal.keyId;
        await deps.projects.update(trx, project.id, { size_bytes: sizeBytes });
        await deps.deploys.record(trx, {
          project_id: project.id,
          kind: 'restore',
          status: 'succeeded',
          template: project.template,
          from_version: project.template_version,
          to_version: project.template_version,
          actor_id: actorId,
        });
        await deps.audit.record(trx, {
          organizationId: access.org.id,
          actor: auditActor(access.principal),
          action: 'project.restored',
          target: { type: 'project', id: project.id },
          ip: access.ip,
          data: { slug: project.slug, timestamp: new Date(targetMs).toISOString(), restoredTo },
        });
        await deps.events.publish(trx, access.org.id, 'project.restored', {
          projectId: project.id,
          projectSlug: project.slug,
          actorId,
          restoredTo,
        });
        return { restoredTo };
      });
    },
  };
}

export type PointInTime = ReturnType<typeof createPointInTime>;
