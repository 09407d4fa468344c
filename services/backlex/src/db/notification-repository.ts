import type { Kysely, Selectable } from 'kysely';
import type { EventsDatabase, NotificationTable } from './events-tables.js';

export type NotificationRow = Selectable<NotificationTable>;

export interface NewNotification {
  id: string;
  org_id: string;
  user_id: string;
  event_id: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  /** When the event happened, so the newest-first list follows the events, not the fan-out order. */
  created_at: Date;
}

export function createNotificationRepository(db: Kysely<EventsDatabase>) {
  return {
    /** One row per recipient; an event notifies a recipient once, however often it is fanned out. */
    async insertMany(transaction: Kysely<EventsDatabase>, rows: NewNotification[]): Promise<void> {
      if (rows.length === 0) return;
      await transaction
        .insertInto('notifications')
        .values(rows.map((row) => ({ ...row, data: JSON.stringify(row.data) })))
        .onConflict((conflict) => conflict.constraint('notifications_event_recipient_key').doNothing())
        .execute();
    },
    list(orgId: string, userId: string, limit: number): Promise<NotificationRow[]> {
      return db
        .selectFrom('notifications')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
    },
    /** Marks one read (kept as first read); false when the recipient has no such notification. */
    async markRead(orgId: string, userId: string, id: string): Promise<boolean> {
      const result = await db
        .updateTable('notifications')
        .set((eb) => ({ read_at: eb.fn.coalesce('read_at', eb.val(new Date())) }))
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
    async markAllRead(orgId: string, userId: string): Promise<number> {
      const result = await db
        .updateTable('notifications')
        .set({ read_at: new Date() })
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .where('read_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}

export type NotificationRepository = ReturnType<typeof createNotificationRepository>;
