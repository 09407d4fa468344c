import type { Transaction } from 'kysely';
import type { AuditEventInput, AuditRepository } from '../db/audit-repository.js';
import type { BacklexDatabase } from '../db/tables.js';

export type { AuditEventInput } from '../db/audit-repository.js';

/**
 * What every mutation of issues 16 and 17 calls inside its own transaction:
 * `await audit.record(trx, { organizationId, actor, action, target, ip, data })`. The row exists
 * iff the mutation commits; the table refuses UPDATE and DELETE.
 */
export interface AuditLog {
  record(trx: Transaction<BacklexDatabase>, event: AuditEventInput): Promise<void>;
}

export function createAuditLog(repository: AuditRepository): AuditLog {
  return {
    record: (trx, event) => repository.insert(trx, event),
  };
}
