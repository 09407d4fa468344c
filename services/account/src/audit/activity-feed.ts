import type { AuditFeedFilter, AuditLogRepository } from '../db/audit-logs-repository.js';
import { epoch } from '../identity/access.js';

export type FeedFilter = AuditFeedFilter;

/** A page of audit entries, newest first, with `since <= created_at < until`. */
export async function activityFeed(auditLogs: AuditLogRepository, filter: FeedFilter) {
  const { rows, total } = await auditLogs.feed(filter);
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
  return { items, total };
}
