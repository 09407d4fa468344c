import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { KycDatabase, LivenessAttemptTable } from './tables.js';

export type LivenessRow = Selectable<LivenessAttemptTable>;

export function createLivenessAttemptsRepository(db: Kysely<KycDatabase>) {
  return {
    /** The session's attempts, newest first. */
    listForSession(sessionId: string): Promise<LivenessRow[]> {
      return db
        .selectFrom('liveness_attempts')
        .selectAll()
        .where('session_id', '=', sessionId)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
    },

    /** The latest attempt of each session. */
    latestPerSession(sessionIds: string[]): Promise<LivenessRow[]> {
      if (sessionIds.length === 0) return Promise.resolve([]);
      return db
        .selectFrom('liveness_attempts')
        .selectAll()
        .distinctOn('session_id')
        .where('session_id', 'in', sessionIds)
        .orderBy('session_id')
        .orderBy('created_at', 'desc')
        .execute();
    },

    find(id: string): Promise<LivenessRow | undefined> {
      return db.selectFrom('liveness_attempts').selectAll().where('id', '=', id).executeTakeFirst();
    },

    findByRequest(sessionId: string, requestId: string): Promise<LivenessRow | undefined> {
      return db
        .selectFrom('liveness_attempts')
        .selectAll()
        .where('session_id', '=', sessionId)
        .where('client_request_id', '=', requestId)
        .executeTakeFirst();
    },

    async countForSession(sessionId: string): Promise<number> {
      const { attempts } = await db
        .selectFrom('liveness_attempts')
        .select((eb) => eb.fn.countAll<string>().as('attempts'))
        .where('session_id', '=', sessionId)
        .executeTakeFirstOrThrow();
      return Number(attempts);
    },

    async insert(row: Insertable<LivenessAttemptTable>): Promise<void> {
      await db.insertInto('liveness_attempts').values(row).execute();
    },

    /** Moves a pending attempt to `validating`; its id, or undefined when another caller got there first. */
    async claim(sessionId: string, requestId: string): Promise<string | undefined> {
      const claimed = await db
        .updateTable('liveness_attempts')
        .set({ status: 'validating', updated_at: new Date() })
        .where('session_id', '=', sessionId)
        .where('client_request_id', '=', requestId)
        .where('status', '=', 'pending')
        .returning('id')
        .executeTakeFirst();
      return claimed?.id;
    },

    /**
     * Updates an attempt, only while its status is `whileStatus` when given; whether a row changed
     * (false: another run decided it already).
     */
    async update(
      id: string,
      changes: Updateable<LivenessAttemptTable>,
      options: { whileStatus?: LivenessRow['status'] } = {},
    ): Promise<boolean> {
      let query = db
        .updateTable('liveness_attempts')
        .set({ ...changes, updated_at: new Date() })
        .where('id', '=', id);
      if (options.whileStatus) query = query.where('status', '=', options.whileStatus);
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

export type LivenessAttemptsRepository = ReturnType<typeof createLivenessAttemptsRepository>;
