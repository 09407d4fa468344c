import type { Kysely, Transaction } from 'kysely';
import { newId } from './ids.js';
import type { BacklexDatabase } from './tables.js';

export interface OrgEventInput {
  organizationId: string;
  /** An event of the catalogue (`org.deleted`, `member.joined`, …). */
  type: string;
  payload: Record<string, unknown>;
}

/**
 * `org_event_outbox`: org events recorded in the transaction of the change that caused them. The
 * events module (h16-events) reads the pending rows, fans them out and sets `dispatched_at`.
 */
export function createOrgEventOutboxRepository(_db: Kysely<BacklexDatabase>) {
  return {
    async record(trx: Transaction<BacklexDatabase>, event: OrgEventInput): Promise<string> {
      const id = newId('evt');
      await trx
        .insertInto('org_event_outbox')
        .values({
          public_id: id,
          organization_id: event.organizationId,
          type: event.type,
          payload: JSON.stringify(event.payload),
        })
        .execute();
      return id;
    },
  };
}

export type OrgEventOutboxRepository = ReturnType<typeof createOrgEventOutboxRepository>;
