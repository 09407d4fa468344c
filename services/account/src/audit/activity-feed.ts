import type { Kysely } from 'kysely';
import type { AccountDB } from '../db/types.js';
import { epoch } from '../identity/access.js';

export interface FeedFilter {
  actorId?: string;
  organizationId?: string;
  since?: Date | undefined;
  until?: Date | undefined;
  action?: string | undefined;
  page: number;
  perPage: number;
}

/** A page of audit entries, newest first, with `since <= created_at < until`. */
export async function activityFeed(db: Kysely<AccountDB>, filter: FeedFilter) {
  let query = db.selectFrom('audit_logs');
  if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
  if (filter.organizationId) query = query.where('organization_id', '=', filter.organizationId);
  if (filter.since) query = query.where('created_at', '>=', filter.since);
  if (filter.until) query = query.where('created_at', '<', filter.until);
  if (filter.action) query = query.where('action', '=', filter.action);
  const [{ total }] = (await query.select((eb) => eb.fn.countAll<number>().as('total')).execute()) as [
    { total: number },
  ];
  const rows = await query
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(filter.perPage)
    .offset((filter.page - 1) * filter.perPage)
    .execute();
  const items = rows.map((row) => ({
    id: row.id,
    actor_id: row.actor_id,
    actor_email: row.actor_email,
    actor_display_name: row.actor_display_name,
    organization_id: row.organization_id,
    organization_name: row.organization_name,
    action: row.action,
    target_type: row.target_type,
    target_id: row.target_id,
    target_label: row.target_label,
    metadata: row.metadata,
    ip_address: row.ip_address,
    user_agent: row.user_agent,
    created_at: epoch(row.created_at),
  }));
  return { items, total: Number(total) };
}
