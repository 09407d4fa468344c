import type { Kysely, Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import type { OrgAccess } from '../auth/principal.js';
import { auditActor } from '../auth/principal.js';
import type { EventsDatabase } from '../db/events-tables.js';
import type { BacklexDatabase } from '../db/tables.js';

/**
 * Records one change in the audit log, in the transaction of the change (the identity area's
 * `audit.record`, bound to the caller and its address by `auditHookFor`).
 */
export type AuditHook = (
  transaction: Kysely<EventsDatabase>,
  change: { action: string; target: { type: string; id: string }; data?: Record<string, unknown> },
) => Promise<void>;

/** For callers that audit elsewhere (tests of the domain alone). */
export const noAudit: AuditHook = async () => {};

/** The hook for one caller of an org route: the change is recorded as theirs, from their address. */
export function auditHookFor(audit: AuditLog, access: OrgAccess): AuditHook {
  return (transaction, change) =>
    audit.record(transaction as unknown as Transaction<BacklexDatabase>, {
      organizationId: access.org.id,
      actor: auditActor(access.principal),
      action: change.action,
      target: change.target,
      ip: access.ip,
      ...(change.data ? { data: change.data } : {}),
    });
}
