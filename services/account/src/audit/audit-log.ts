import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AccountDB } from '../db/types.js';

/** Where a request came from, recorded on every audit entry. */
export interface RequestOrigin {
  ip: string;
  userAgent: string;
}

export interface AuditEntry {
  actorId: string | null;
  organizationId?: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  targetLabel?: string | null;
  metadata?: Record<string, unknown>;
  origin?: RequestOrigin | undefined;
}

/**
 * Appends an audit entry in the caller's transaction. Actor email/name and organization name are
 * copied at write time so that the feed still reads well after a rename or deletion.
 */
export async function recordAudit(db: Kysely<AccountDB>, entry: AuditEntry): Promise<void> {
  const actor = entry.actorId
    ? await db
        .selectFrom('accounts')
        .select(['email', 'display_name'])
        .where('id', '=', entry.actorId)
        .executeTakeFirst()
    : undefined;
  const organization = entry.organizationId
    ? await db
        .selectFrom('organizations')
        .select(['name'])
        .where('id', '=', entry.organizationId)
        .executeTakeFirst()
    : undefined;
  await db
    .insertInto('audit_logs')
    .values({
      id: randomUUID(),
      actor_id: entry.actorId,
      actor_email: actor?.email ?? null,
      actor_display_name: actor?.display_name ?? null,
      organization_id: entry.organizationId ?? null,
      organization_name: organization?.name ?? null,
      action: entry.action,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId ?? null,
      target_label: entry.targetLabel ?? null,
      metadata: JSON.stringify(entry.metadata ?? {}),
      ip_address: entry.origin?.ip ?? null,
      user_agent: entry.origin?.userAgent ?? null,
    })
    .execute();
}
