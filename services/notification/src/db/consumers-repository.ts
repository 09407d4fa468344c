import { type Kysely, type Selectable, sql } from 'kysely';
import type { ConsumersTable, NotificationDatabase } from './schema.js';

export type ConsumerRow = Selectable<ConsumersTable>;

export interface ConsumerBeat {
  tag: string;
  queue: string;
  host: string;
  prefetch: number;
  acked: number;
  unacked: number;
}

/** Worker heartbeats: one row per consumer, live while its last beat is recent. */
export function createConsumerRepository(db: Kysely<NotificationDatabase>) {
  const seenWithin = (seconds: number) => sql<Date>`now() - make_interval(secs => ${seconds})`;
  return {
    async beat(consumer: ConsumerBeat): Promise<void> {
      await db
        .insertInto('consumers')
        .values({
          consumer_tag: consumer.tag,
          queue: consumer.queue,
          host: consumer.host,
          prefetch: consumer.prefetch,
          ack_count: consumer.acked,
          unack_count: consumer.unacked,
          connected_at: new Date(),
          last_seen_at: new Date(),
        })
        .onConflict((oc) =>
          oc.column('consumer_tag').doUpdateSet({
            ack_count: consumer.acked,
            unack_count: consumer.unacked,
            last_seen_at: new Date(),
          }),
        )
        .execute();
    },

    /** Live consumers per queue (heartbeat within `ttlSeconds`). */
    async countLive(queues: string[], ttlSeconds: number): Promise<{ queue: string; count: number }[]> {
      if (queues.length === 0) return [];
      const rows = await db
        .selectFrom('consumers')
        .select(['queue', (eb) => eb.fn.countAll<number>().as('count')])
        .where('queue', 'in', queues)
        .where('last_seen_at', '>', seenWithin(ttlSeconds))
        .groupBy('queue')
        .execute();
      return rows.map((row) => ({ queue: row.queue, count: Number(row.count) }));
    },

    listLive(queue: string, ttlSeconds: number): Promise<ConsumerRow[]> {
      return db
        .selectFrom('consumers')
        .selectAll()
        .where('queue', '=', queue)
        .where('last_seen_at', '>', seenWithin(ttlSeconds))
        .orderBy('connected_at')
        .execute();
    },

    async delete(tags: string[]): Promise<void> {
      if (tags.length === 0) return;
      await db.deleteFrom('consumers').where('consumer_tag', 'in', tags).execute();
    },

    async deleteSeenBefore(days: number): Promise<void> {
      await db
        .deleteFrom('consumers')
        .where('last_seen_at', '<', sql<Date>`now() - make_interval(days => ${days})`)
        .execute();
    },
  };
}

export type ConsumerRepository = ReturnType<typeof createConsumerRepository>;
