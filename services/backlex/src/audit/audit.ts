import type { Transaction } from 'kysely';
import type { OrgAccess } from '../auth/principal.js';
import type { AuditEventInput, AuditQuery, AuditRepository } from '../db/audit-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import { type AuditEventView, auditEventView } from './audit-view.js';

export type { AuditEventInput } from '../db/audit-repository.js';

/**
 * What every mutation of issues 16 and 17 calls inside its own transaction:
 * `await audit.record(trx, { organizationId, actor, action, target, ip, data })`. The row exists
 * iff the mutation commits; the table refuses UPDATE and DELETE.
 */
export interface AuditLog {
  record(trx: Transaction<BacklexDatabase>, event: AuditEventInput): Promise<void>;
  /** The org's events, newest first (`GET /org/{slug}/audit`, admins). */
  list(access: OrgAccess, query: AuditQuery): Promise<AuditEventView[]>;
}

export function createAuditLog(repository: AuditRepository): AuditLog {
  return {
    record: (trx, event) => repository.insert(trx, event),
    list: async (access, query) => (await repository.list(access.org.id, query)).map(auditEventView),
  };
}
