import type { Kysely } from 'kysely';
import type { EventsDatabase } from './events-tables.js';

/**
 * A Kysely instance or transaction on the backlex schema, whatever database type its caller
 * declares (Kysely's types are invariant in it): callers pass their own transaction.
 */
export type EventsExecutor<_DB = unknown> = { readonly isTransaction: boolean };

export function eventsTables(executor: EventsExecutor): Kysely<EventsDatabase> {
  return executor as unknown as Kysely<EventsDatabase>;
}
