import type { Kysely, Selectable } from 'kysely';
import type { NotificationDatabase, RecipientStatus, RecipientsTable } from './schema.js';

export type RecipientRow = Selectable<RecipientsTable>;

export interface RecipientInsert {
  notification_id: string;
  position: number;
  type: string;
  address: string;
  name: string;
}

/** Rows per INSERT: large batches stay under PostgreSQL's parameter limit. */
const INSERT_CHUNK = 5000;

export function createNotificationRecipientRepository(db: Kysely<NotificationDatabase>) {
  return {
    async insertMany(rows: RecipientInsert[]): Promise<void> {
      for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
        await db
          .insertInto('notification_recipients')
          .values(rows.slice(start, start + INSERT_CHUNK))
          .execute();
      }
    },

    listFor(notificationId: string): Promise<RecipientRow[]> {
      return db
        .selectFrom('notification_recipients')
        .selectAll()
        .where('notification_id', '=', notificationId)
        .orderBy('position')
        .execute();
    },

    listForMany(notificationIds: string[]): Promise<RecipientRow[]> {
      if (notificationIds.length === 0) return Promise.resolve([]);
      return db
        .selectFrom('notification_recipients')
        .selectAll()
        .where('notification_id', 'in', notificationIds)
        .orderBy('notification_id')
        .orderBy('position')
        .execute();
    },

    /** The recipients not yet accepted, as a dead letter carries them. */
    listUnaccepted(notificationId: string) {
      return db
        .selectFrom('notification_recipients')
        .select(['position', 'type', 'address', 'name', 'status', 'last_error'])
        .where('notification_id', '=', notificationId)
        .where('status', '!=', 'accepted')
        .orderBy('position')
        .execute();
    },

    async countUnaccepted(notificationId: string): Promise<number> {
      const { count } = await db
        .selectFrom('notification_recipients')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('notification_id', '=', notificationId)
        .where('status', '!=', 'accepted')
        .executeTakeFirstOrThrow();
      return Number(count);
    },

    async countByStatus(notificationId: string): Promise<Record<RecipientStatus, number>> {
      const rows = await db
        .selectFrom('notification_recipients')
        .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
        .where('notification_id', '=', notificationId)
        .groupBy('status')
        .execute();
      const count = (status: RecipientStatus) =>
        Number(rows.find((entry) => entry.status === status)?.count ?? 0);
      return { pending: count('pending'), accepted: count('accepted'), failed: count('failed') };
    },

    /** The provider accepted this recipient (`reply`: its message id). */
    async markAccepted(
      notificationId: string,
      position: number,
      reply: string | null,
      at: Date,
    ): Promise<void> {
      await db
        .updateTable('notification_recipients')
        .set({ status: 'accepted', accepted_at: at, provider_message_id: reply, last_error: null })
        .where('notification_id', '=', notificationId)
        .where('position', '=', position)
        .execute();
    },

    /** An attempt at this recipient failed: for good (`failed`) or to be retried (`pending`). */
    async markRefused(
      notificationId: string,
      position: number,
      refusal: { permanent: boolean; error: string | null },
    ): Promise<void> {
      await db
        .updateTable('notification_recipients')
        .set({ status: refusal.permanent ? 'failed' : 'pending', last_error: refusal.error })
        .where('notification_id', '=', notificationId)
        .where('position', '=', position)
        .execute();
    },

    /** A retried notification sends its failed recipients again. */
    async resetFailed(notificationId: string): Promise<void> {
      await db
        .updateTable('notification_recipients')
        .set({ status: 'pending' })
        .where('notification_id', '=', notificationId)
        .where('status', '=', 'failed')
        .execute();
    },
  };
}

export type NotificationRecipientRepository = ReturnType<typeof createNotificationRecipientRepository>;
