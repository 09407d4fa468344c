import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AccountDB } from './types.js';

export interface AuditLogInput {
  actorId: string | null;
  organizationId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  targetLabel: string | null;
  metadata: Record<string, unknown>;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditFeedFilter {
  actorId?: string | undefined;
  organizationId?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  action?: string | undefined;
  page: number;
  perPage: number;
}

export function createAuditLogRepository(db: Kysely<AccountDB>) {
  return {
    /**
     * Actor email/name and organization name are copied at write time so that the feed still
     * reads well after a rename or deletion.
     */
    async insert(entry: AuditLogInput): Promise<void> {
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
          organization_id: entry.organizationId,
          organization_name: organization?.name ?? null,
          action: entry.action,
          target_type: entry.targetType,
          target_id: entry.targetId,
          target_label: entry.targetLabel,
          metadata: JSON.stringify(entry.metadata),
          ip_address: entry.ip,
          user_agent: entry.userAgent,
        })
        .execute();
    },

    /** A page of entries, newest first, with `since <= created_at < until`. */
    async feed(filter: AuditFeedFilter) {
      let query = db.selectFrom('audit_logs');
      if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
      if (filter.organizationId) query = query.where('organization_id', '=', filter.organizationId);
      if (filter.since) query = query.where('created_at', '>=', filter.since);
      if (filter.until) query = query.where('created_at', '<', filter.until);
      if (filter.action) query = query.where('action', '=', filter.action);
      const { total } = await query
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .executeTakeFirstOrThrow();
      const rows = await query
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(filter.perPage)
        .offset((filter.page - 1) * filter.perPage)
        .execute();
      return { rows, total: Number(total) };
    },
  };
}

export type AuditLogRepository = ReturnType<typeof createAuditLogRepository>;
