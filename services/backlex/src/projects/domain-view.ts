import type { DomainRow } from '../db/project-domain-repository.js';
import { CHALLENGE_LABEL } from './domains.js';

/** The `Domain` object (fields fixed in the README). */
export function domainView(row: DomainRow, publicUrl: string) {
  const platform = new URL(publicUrl);
  return {
    id: row.id,
    hostname: row.hostname,
    status: row.status,
    projectId: row.project_id,
    verification: {
      type: 'TXT' as const,
      name: `${CHALLENGE_LABEL}.${row.hostname}`,
      value: row.challenge_token,
    },
    cname: { type: 'CNAME' as const, name: row.hostname, target: platform.hostname },
    dataUrl: `${platform.protocol}//${row.hostname}`,
    lastError: row.last_error,
    lastCheckedAt: row.last_checked_at?.toISOString() ?? null,
    verifiedAt: row.verified_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}
