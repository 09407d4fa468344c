import { type AnyObjectStore, defineJob } from '@trustplane/kernel';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import type { KycDatabase } from '../db/tables.js';

export const SWEEP_QUEUE = 'kyc.sweep-expired-objects';
/** Hourly, at a minute other services are unlikely to pick. */
export const SWEEP_SCHEDULE = '41 * * * *';
/** Sessions handled per batch; a run keeps going until none is left. */
const BATCH = 100;

export interface SweepDeps {
  db: Kysely<KycDatabase>;
  objects: AnyObjectStore;
  audit: AuditLog;
  retentionSeconds: number;
}

/**
 * Deletes every object under `sessions/<id>/` (documents, heatmaps, liveness recordings, uploads
 * that were never completed) of each session that expired more than `retentionSeconds` ago, then
 * marks the session purged and records it in the audit log. Rows and analysis results stay. The
 * objects go first: a run that fails between the two deletes again next time (nothing is left).
 */
export async function sweepExpiredObjects(deps: SweepDeps): Promise<{ sessions: number; objects: number }> {
  const { db, objects, audit, retentionSeconds } = deps;
  let sessions = 0;
  let deleted = 0;
  for (;;) {
    const due = await db
      .selectFrom('verification_sessions')
      .select(['id', 'organization_id'])
      .where('objects_purged_at', 'is', null)
      .where('expires_at', '<', sql<Date>`now() - make_interval(secs => ${retentionSeconds})`)
      .orderBy('expires_at')
      .limit(BATCH)
      .execute();
    for (const session of due) {
      const removed = await objects.deletePrefix(`sessions/${session.id}/`);
      await db.transaction().execute(async (trx) => {
        const marked = await trx
          .updateTable('verification_sessions')
          .set({ objects_purged_at: new Date() })
          .where('id', '=', session.id)
          .where('objects_purged_at', 'is', null)
          .executeTakeFirst();
        if (Number(marked.numUpdatedRows) === 0) return; // another worker got there first
        await audit.append(trx, {
          sessionId: session.id,
          organizationId: session.organization_id,
          eventType: 'session_objects_purged',
          actorType: 'system',
          payload: { objectsDeleted: removed, retentionSeconds },
        });
      });
      sessions += 1;
      deleted += removed;
    }
    if (due.length < BATCH) return { sessions, objects: deleted };
  }
}

/** The hourly sweep; a run that fails is retried, and the next hour's run catches up anyway. */
export function sweepJob(deps: SweepDeps) {
  return defineJob({
    name: SWEEP_QUEUE,
    version: 1,
    payload: z.object({}),
    schedule: { cron: SWEEP_SCHEDULE, payload: {} },
    retry: { limit: 3, delaySeconds: 30, backoff: true },
    timeoutSeconds: 1800,
    async handle(_payload, job) {
      const swept = await sweepExpiredObjects(deps);
      job.logger.info({ swept }, 'kyc: objects of expired sessions swept');
    },
  });
}
