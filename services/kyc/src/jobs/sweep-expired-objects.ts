import { type AnyObjectStore, defineScheduledJob } from '@trustplane/kernel';
import type { KycRepositories } from '../db/repositories.js';

export const SWEEP_QUEUE = 'kyc.sweep-expired-objects';
/** Hourly, at a minute other services are unlikely to pick. */
export const SWEEP_SCHEDULE = '41 * * * *';
/** Sessions handled per batch; a run keeps going until none is left. */
const BATCH = 100;

export interface SweepDeps {
  repositories: KycRepositories;
  objects: AnyObjectStore;
  retentionSeconds: number;
}

/**
 * Deletes every object under `sessions/<id>/` (documents, heatmaps, liveness recordings, uploads
 * that were never completed) of each session that expired more than `retentionSeconds` ago, then
 * marks the session purged and records it in the audit log. Rows and analysis results stay. The
 * objects go first: a run that fails between the two deletes again next time (nothing is left).
 */
export async function sweepExpiredObjects(deps: SweepDeps): Promise<{ sessions: number; objects: number }> {
  const { repositories, objects, retentionSeconds } = deps;
  let sessions = 0;
  let deleted = 0;
  for (;;) {
    const due = await repositories.sessions.listObjectsDue(retentionSeconds, BATCH);
    for (const session of due) {
      const removed = await objects.deletePrefix(`sessions/${session.id}/`);
      await repositories.transaction(async (tx) => {
        if (!(await tx.sessions.markObjectsPurged(session.id))) return; // another worker got there first
        await tx.auditEvents.append({
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
  return defineScheduledJob({
    name: SWEEP_QUEUE,
    cron: SWEEP_SCHEDULE,
    retry: { limit: 3, delaySeconds: 30, backoff: true },
    timeoutSeconds: 1800,
    run: async () => ({ swept: await sweepExpiredObjects(deps) }),
    done: 'kyc: objects of expired sessions swept',
  });
}
