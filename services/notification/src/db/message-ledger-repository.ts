import { type Kysely, type Selectable, sql } from 'kysely';
import type { MessageLedgerTable, NotificationDatabase } from './schema.js';

export type LedgerRow = Selectable<MessageLedgerTable>;

export interface LedgerInsert {
  queue: string;
  message_id: string;
  payload: unknown;
  headers: Record<string, string>;
  status: string;
}

/** A bus message handled by the intake, recorded once whatever its outcome (a copy counts a delivery). */
export interface IntakeLedgerEntry extends LedgerInsert {
  publishedAt: Date;
  deliveredAt: Date;
  deliveryCount: number;
}

export interface LedgerRates {
  queue: string;
  published: number;
  completed: number;
  avg_ms: number | null;
}

/** Every message of the service's queues (GetMessageDetails, rates and timings). */
export function createMessageLedgerRepository(db: Kysely<NotificationDatabase>) {
  return {
    async insertMany(entries: LedgerInsert[]): Promise<void> {
      if (entries.length === 0) return;
      await db
        .insertInto('message_ledger')
        .values(
          entries.map((entry) => ({
            ...entry,
            payload: JSON.stringify(entry.payload),
            headers: JSON.stringify(entry.headers),
          })),
        )
        .execute();
    },

    async recordIntake(entry: IntakeLedgerEntry): Promise<void> {
      await sql`
        INSERT INTO message_ledger (queue, message_id, payload, headers, status, published_at, delivered_at, completed_at, delivery_count)
        VALUES (${entry.queue}, ${entry.message_id}, ${JSON.stringify(entry.payload)}::jsonb,
                ${JSON.stringify(entry.headers)}::jsonb, ${entry.status},
                ${entry.publishedAt}, ${entry.deliveredAt}, now(), ${entry.deliveryCount})
        ON CONFLICT (queue, message_id) DO UPDATE
          SET delivery_count = message_ledger.delivery_count + 1, status = EXCLUDED.status, completed_at = now()`.execute(
        db,
      );
    },

    find(queue: string, messageId: string): Promise<LedgerRow | undefined> {
      return db
        .selectFrom('message_ledger')
        .selectAll()
        .where('queue', '=', queue)
        .where('message_id', '=', messageId)
        .executeTakeFirst();
    },

    /** The messages are done with `status` (acked, dropped, purged…). */
    async complete(queue: string, messageIds: string[], status: string): Promise<void> {
      if (messageIds.length === 0) return;
      await db
        .updateTable('message_ledger')
        .set({ status, completed_at: new Date() })
        .where('queue', '=', queue)
        .where('message_id', 'in', messageIds)
        .execute();
    },

    /** Cancelled while still waiting (those already completed keep their outcome). */
    async markCancelled(queue: string, messageIds: string[]): Promise<void> {
      if (messageIds.length === 0) return;
      await db
        .updateTable('message_ledger')
        .set({ status: 'cancelled', completed_at: new Date() })
        .where('queue', '=', queue)
        .where('message_id', 'in', messageIds)
        .where('completed_at', 'is', null)
        .execute();
    },

    /** A held attempt released to the broker is ready. */
    async markReady(queue: string, messageId: string): Promise<void> {
      await db
        .updateTable('message_ledger')
        .set({ status: 'ready' })
        .where('queue', '=', queue)
        .where('message_id', '=', messageId)
        .where('completed_at', 'is', null)
        .execute();
    },

    /** Adds `headers` to the message's (the broker's dead-lettering history). */
    async mergeHeaders(queue: string, messageId: string, headers: Record<string, string>): Promise<void> {
      await db
        .updateTable('message_ledger')
        .set({ headers: sql`headers || ${JSON.stringify(headers)}::jsonb` })
        .where('queue', '=', queue)
        .where('message_id', '=', messageId)
        .execute();
    },

    /** Per queue, messages published and completed in the last `windowSeconds`, and their mean processing time. */
    async rates(queues: string[], windowSeconds: number): Promise<LedgerRates[]> {
      if (queues.length === 0) return [];
      const { rows } = await sql<LedgerRates>`
        SELECT queue,
               count(*) FILTER (WHERE published_at > now() - make_interval(secs => ${windowSeconds}))::int AS published,
               count(*) FILTER (WHERE completed_at > now() - make_interval(secs => ${windowSeconds}))::int AS completed,
               avg(extract(epoch FROM completed_at - delivered_at) * 1000)
                 FILTER (WHERE completed_at > now() - make_interval(secs => ${windowSeconds})
                           AND delivered_at IS NOT NULL)::float8 AS avg_ms
          FROM message_ledger
         WHERE queue IN (${sql.join(queues)})
           AND (published_at > now() - make_interval(secs => ${windowSeconds})
                OR completed_at > now() - make_interval(secs => ${windowSeconds}))
         GROUP BY queue`.execute(db);
      return rows;
    },

    async deletePublishedBefore(days: number): Promise<void> {
      await db
        .deleteFrom('message_ledger')
        .where('published_at', '<', sql<Date>`now() - make_interval(days => ${days})`)
        .execute();
    },
  };
}

export type MessageLedgerRepository = ReturnType<typeof createMessageLedgerRepository>;
