import { type Kysely, sql } from 'kysely';
import type { BiometryDatabase } from './tables.js';

export function createWorkerRepository(db: Kysely<BiometryDatabase>) {
  return {
    async heartbeat(worker: { id: string; hostname: string; pid: number }): Promise<void> {
      await db
        .insertInto('workers')
        .values({ id: worker.id, hostname: worker.hostname, pid: worker.pid, heartbeat_at: new Date() })
        .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: new Date() }))
        .execute();
    },
    async remove(id: string): Promise<void> {
      await db.deleteFrom('workers').where('id', '=', id).execute();
    },
    /** Forgets workers silent for longer than `olderThanSeconds`. */
    async prune(olderThanSeconds: number): Promise<void> {
      await db
        .deleteFrom('workers')
        .where('heartbeat_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
        .execute();
    },
    /** Workers whose heartbeat is more recent than `withinSeconds`. */
    async countActive(withinSeconds: number): Promise<number> {
      const row = await db
        .selectFrom('workers')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('heartbeat_at', '>', sql<Date>`now() - make_interval(secs => ${withinSeconds})`)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
  };
}

export type WorkerRepository = ReturnType<typeof createWorkerRepository>;
