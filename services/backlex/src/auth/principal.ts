import type { OrgRow } from '../db/org-repository.js';
import type { KeyScope, Role } from './roles.js';

/** A person signed in with a better-auth session cookie. */
export interface UserPrincipal {
  kind: 'user';
  userId: string;
  email: string;
  name: string;
  sessionId: string;
}

/**
 * An org API key (`Authorization: Bearer pak_…`). Seam for the sso helper (h16-sso), which
 * authenticates keys and fills in what a key carries (scope, `mcpTools`).
 */
export interface KeyPrincipal {
  kind: 'key';
  keyId: string;
  organizationId: string;
  /** Display prefix, shown as the audit actor's label. */
  label: string;
  /** What the key may reach (`roles.ts`, `keyMayRun`). */
  scope: KeyScope;
  /** Allowlist of operation names; null = every operation the scope reaches. */
  mcpTools: readonly string[] | null;
}

export type Principal = UserPrincipal | KeyPrincipal;

/** The caller's standing in the org an `/org/{slug}/…` request names, once resolved. */
export interface OrgAccess {
  org: OrgRow;
  principal: Principal;
  /** The member's role; null for an API key (its scope decides). */
  role: Role | null;
  /** The caller's member id, for a person. */
  memberId: string | null;
  /** Client address (Fastify's `request.ip`, trusted proxies applied). */
  ip: string;
}

/** Who the audit log names for a change made by `principal`. */
export function auditActor(principal: Principal): { type: 'user' | 'key'; id: string; label: string } {
  return principal.kind === 'user'
    ? { type: 'user', id: principal.userId, label: principal.email }
    : { type: 'key', id: principal.keyId, label: principal.label };
}
