import type { AuditLogRepository } from '../db/audit-logs-repository.js';

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

/** Appends an audit entry; pass a transaction's `auditLogs` to make it part of the action. */
export function recordAudit(auditLogs: AuditLogRepository, entry: AuditEntry): Promise<void> {
  return auditLogs.insert({
    actorId: entry.actorId,
    organizationId: entry.organizationId ?? null,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    targetLabel: entry.targetLabel ?? null,
    metadata: entry.metadata ?? {},
    ip: entry.origin?.ip ?? null,
    userAgent: entry.origin?.userAgent ?? null,
  });
}
