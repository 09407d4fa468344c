import type { Kysely, Selectable, Transaction } from 'kysely';
import { newId } from './ids.js';
import type { AuditEventTable, BacklexDatabase } from './tables.js';

export type AuditRow = Selectable<AuditEventTable>;

export interface AuditEventInput {
  organizationId: string;
  actor: { type: 'user' | 'key' | 'scim' | 'system'; id: string | null; label?: string | null };
  /** `area.verb` (`org.created`, `member.role_changed`). */
  action: string;
  target?: { type: string; id: string } | null;
  ip?: string | null;
  data?: Record<string, unknown>;
}

export interface AuditQuery {
  /** Exact action, or `prefix` for `prefix.*`. */
  action?: { exact: string } | { prefix: string };
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

/** The append-only `audit_event` table (its triggers refuse UPDATE, DELETE and TRUNCATE). */
export function createAuditRepository(db: Kysely<BacklexDatabase>) {
  return {
    async insert(trx: Transaction<BacklexDatabase>, event: AuditEventInput): Promise<void> {
      await trx
        .insertInto('audit_event')
        .values({
          public_id: newId('aud'),
          organization_id: event.organizationId,
          actor_type: event.actor.type,
          actor_id: event.actor.id,
          actor_label: event.actor.label ?? null,
          action: event.action,
          target_type: event.target?.type ?? null,
          target_id: event.target?.id ?? null,
          ip: event.ip ?? null,
          data: JSON.stringify(event.data ?? {}),
        })
        .execute();
    },
    list(organizationId: string, query: AuditQuery): Promise<AuditRow[]> {
      let select = db.selectFrom('audit_event').selectAll().where('organization_id', '=', organizationId);
      const action = query.action;
      if (action && 'exact' in action) select = select.where('action', '=', action.exact);
      if (action && 'prefix' in action) {
        // `like` with the prefix's own wildcards escaped: `a_b.*` matches `a_b.x`, not `axb.x`.
        const escaped = action.prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
        select = select.where('action', 'like', `${escaped}.%`);
      }
      if (query.from) select = select.where('created_at', '>=', query.from);
      if (query.to) select = select.where('created_at', '<=', query.to);
      return select
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(query.limit)
        .offset(query.offset)
        .execute();
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
