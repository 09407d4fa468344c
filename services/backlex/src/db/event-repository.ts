import type { Kysely, Selectable } from 'kysely';
import { type EventsExecutor, eventsTables } from './events-executor.js';
import type { EventsDatabase, EventTable } from './events-tables.js';

export type EventRow = Selectable<EventTable>;

export function createEventRepository(db: Kysely<EventsDatabase>) {
  return {
    /** Records an event through the caller's transaction. */
    async insert<DB extends EventsDatabase>(
      executor: EventsExecutor<DB>,
      row: { id: string; org_id: string; type: string; data: Record<string, unknown> },
    ): Promise<EventRow> {
      return eventsTables(executor)
        .insertInto('events')
        .values({ ...row, data: JSON.stringify(row.data) })
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /** The event, locked until the transaction ends, if it has not been fanned out yet. */
    lockPending(transaction: Kysely<EventsDatabase>, id: string): Promise<EventRow | undefined> {
      return transaction
        .selectFrom('events')
        .selectAll()
        .where('id', '=', id)
        .where('fanned_out_at', 'is', null)
        .forUpdate()
        .executeTakeFirst();
    },
    /**
     * Up to `limit` other events still waiting to be fanned out, oldest first, locked; rows another
     * fan-out holds are skipped, not waited for.
     */
    lockMorePending(
      transaction: Kysely<EventsDatabase>,
      exceptId: string,
      limit: number,
    ): Promise<EventRow[]> {
      return transaction
        .selectFrom('events')
        .selectAll()
        .where('fanned_out_at', 'is', null)
        .where('id', '<>', exceptId)
        .orderBy('created_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
    },
    async markFannedOut(transaction: Kysely<EventsDatabase>, id: string): Promise<void> {
      await transaction
        .updateTable('events')
        .set({ fanned_out_at: new Date() })
        .where('id', '=', id)
        .execute();
    },
    byId(id: string): Promise<EventRow | undefined> {
      return db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
    },
  };
}

export type EventRepository = ReturnType<typeof createEventRepository>;
