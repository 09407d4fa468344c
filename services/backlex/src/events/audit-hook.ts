import type { Kysely } from 'kysely';
import type { EventsDatabase } from '../db/events-tables.js';

/**
 * Records one change in the audit log, in the transaction of the change (the identity area's
 * `audit.record`, bound to the caller and its address by the route's composition).
 */
export type AuditHook = (
  transaction: Kysely<EventsDatabase>,
  change: { action: string; target: { type: string; id: string }; data?: Record<string, unknown> },
) => Promise<void>;

/** For callers that audit elsewhere (tests of the domain alone). */
export const noAudit: AuditHook = async () => {};
