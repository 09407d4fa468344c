import type { Kysely, Selectable } from 'kysely';
import type { DeadLettersTable, NotificationDatabase } from './schema.js';

export type DeadLetterRow = Selectable<DeadLettersTable>;

export interface DeadLetterInsert {
  id: string;
  notification_id: string | null;
  message_id: string | null;
  source_queue: string;
  reason: string;
  attempts: number;
  payload: unknown;
}

/** `notification.events.dlq`: what could not be delivered or processed, until replayed or purged. */
export function createDeadLetterRepository(db: Kysely<NotificationDatabase>) {
  return {
    async insert(row: DeadLetterInsert): Promise<void> {
      await db
        .insertInto('dead_letters')
        .values({ ...row, payload: JSON.stringify(row.payload) })
        .execute();
    },

    find(id: string): Promise<DeadLetterRow | undefined> {
      return db.selectFrom('dead_letters').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async findIdByMessage(messageId: string): Promise<string | undefined> {
      const row = await db
        .selectFrom('dead_letters')
        .select('id')
        .where('message_id', '=', messageId)
        .executeTakeFirst();
      return row?.id;
    },

    /** Those waiting for a decision (not replayed), oldest first. */
    listPending(limit: number): Promise<DeadLetterRow[]> {
      return db
        .selectFrom('dead_letters')
        .selectAll()
        .where('replayed_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .execute();
    },

    async countPending(): Promise<number> {
      const { count } = await db
        .selectFrom('dead_letters')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('replayed_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(count);
    },

    /** Marks a pending dead letter replayed; false when it was replayed (or purged) already. */
    async claimReplay(id: string, at: Date): Promise<boolean> {
      const taken = await db
        .updateTable('dead_letters')
        .set({ replayed_at: at })
        .where('id', '=', id)
        .where('replayed_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      return taken !== undefined;
    },

    /** The notification's pending dead letters (or only `deadLetterId` of them) are replayed by its retry. */
    async markReplayedFor(notificationId: string, at: Date, deadLetterId?: string): Promise<void> {
      let replayed = db
        .updateTable('dead_letters')
        .set({ replayed_at: at })
        .where('notification_id', '=', notificationId)
        .where('replayed_at', 'is', null);
      if (deadLetterId) replayed = replayed.where('id', '=', deadLetterId);
      await replayed.execute();
    },

    /** Deletes the pending dead letters (only `id` when given); the ids deleted. */
    async deletePending(id?: string): Promise<string[]> {
      let query = db.deleteFrom('dead_letters').where('replayed_at', 'is', null);
      if (id) query = query.where('id', '=', id);
      const removed = await query.returning('id').execute();
      return removed.map((row) => row.id);
    },
  };
}

export type DeadLetterRepository = ReturnType<typeof createDeadLetterRepository>;
