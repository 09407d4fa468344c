import type { OrgClaim, PrincipalType } from '../auth/tokens.js';
import { errors } from '../errors.js';
import { hasPermission } from './access.js';

/** The authenticated caller, exactly as the credential says (no database lookup for a JWT). */
export interface Principal {
  type: PrincipalType;
  accountId: string;
  /** Session of a human; null for a service principal (its token carries the nil UUID). */
  sessionId: string | null;
  orgId: string;
  permissions: string[];
  organizations: OrgClaim[];
  via: 'jwt' | 'api_key';
  /** JTI and expiry of the access token, for revocation on logout. */
  jti: string | null;
  expiresAt: Date | null;
  apiKeyId: string | null;
}

/** A human principal signed in through a session (what password and session operations need). */
export type HumanPrincipal = Principal & { sessionId: string };

export function requirePermission(principal: Principal, permission: string): void {
  if (!hasPermission(principal.permissions, permission)) throw errors.MISSING_PERMISSION(permission);
}

/**
 * A permission inside one organization: the token speaks for its current org only, so acting in
 * another one needs a switch first. A caller that is not a member at all learns nothing (404).
 */
export function requireOrgPermission(principal: Principal, orgId: string, permission: string): void {
  if (principal.orgId !== orgId) {
    if (principal.organizations.some((org) => org.id === orgId)) {
      throw errors.UNAUTHORIZED(`Switch to organization ${orgId} before acting in it`);
    }
    throw errors.NOT_FOUND('Organization');
  }
  requirePermission(principal, permission);
}
