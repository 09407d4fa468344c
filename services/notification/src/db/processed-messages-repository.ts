import { type Kysely, sql } from 'kysely';
import type { NotificationDatabase } from './schema.js';

/** Bus messages already handled (deduplication across restarts), with what became of each. */
export function createProcessedMessageRepository(db: Kysely<NotificationDatabase>) {
  return {
    /** Records the message as received; false when it was seen before (a duplicate). */
    async claim(messageId: string, queue: string): Promise<boolean> {
      const fresh = await sql<{ message_id: string }>`
        INSERT INTO processed_messages (message_id, queue, outcome) VALUES (${messageId}, ${queue}, 'received')
        ON CONFLICT (message_id) DO NOTHING RETURNING message_id`.execute(db);
      return fresh.rows.length > 0;
    },

    /** A replayed dead letter passes deduplication once, whatever was recorded before. */
    async claimReplay(messageId: string, queue: string): Promise<void> {
      await sql`
        INSERT INTO processed_messages (message_id, queue, outcome) VALUES (${messageId}, ${queue}, 'replayed')
        ON CONFLICT (message_id) DO UPDATE SET outcome = 'replayed', received_at = now()`.execute(db);
    },

    async setOutcome(messageId: string, outcome: string, notificationId?: string): Promise<void> {
      await db
        .updateTable('processed_messages')
        .set({ outcome, ...(notificationId ? { notification_id: notificationId } : {}) })
        .where('message_id', '=', messageId)
        .execute();
    },

    async deleteReceivedBefore(days: number): Promise<void> {
      await db
        .deleteFrom('processed_messages')
        .where('received_at', '<', sql<Date>`now() - make_interval(days => ${days})`)
        .execute();
    },
  };
}

export type ProcessedMessageRepository = ReturnType<typeof createProcessedMessageRepository>;
