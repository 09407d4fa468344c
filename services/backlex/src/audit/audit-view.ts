import type { AuditRow } from '../db/audit-repository.js';

/** The seed's open `AuditEvent`, fixed in the README. */
export interface AuditEventView {
  id: string;
  action: string;
  actor: { type: string; id: string | null; label: string | null };
  target: { type: string; id: string } | null;
  ip: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}

export function auditEventView(row: AuditRow): AuditEventView {
  return {
    id: row.public_id,
    action: row.action,
    actor: { type: row.actor_type, id: row.actor_id, label: row.actor_label },
    target: row.target_type && row.target_id ? { type: row.target_type, id: row.target_id } : null,
    ip: row.ip,
    data: row.data,
    createdAt: row.created_at.toISOString(),
  };
}
