import type { Kysely } from 'kysely';
import type { EventsDatabase } from './events-tables.js';

/**
 * A Kysely instance or transaction on any database type that includes the events tables (the
 * service's whole schema does): callers pass their own transaction, typed with their own tables.
 */
export type EventsExecutor<DB extends EventsDatabase = EventsDatabase> = Kysely<DB>;

export function eventsTables<DB extends EventsDatabase>(executor: Kysely<DB>): Kysely<EventsDatabase> {
  return executor as unknown as Kysely<EventsDatabase>;
}
