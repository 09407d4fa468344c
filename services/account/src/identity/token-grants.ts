import type { RevocationList } from '@trustplane/kernel';
import { NIL_UUID, type TokenService } from '../auth/tokens.js';
import type { Principal } from './principal.js';

/** What `POST /auth/verify` answers: the token's claims as issued, or `valid: false`. */
export interface Introspection {
  valid: boolean;
  account_id: string | null;
  organization_id: string | null;
  permissions: string[];
  expires_at: number | null;
  session_id: string | null;
  principal_type: 'human' | 'service' | null;
}

const INVALID: Introspection = {
  valid: false,
  account_id: null,
  organization_id: null,
  permissions: [],
  expires_at: null,
  session_id: null,
  principal_type: null,
};

/**
 * Introspects an access token (signature, expiry, revocation). RFC 7662 style: an unusable token
 * is a normal answer (`valid: false`), never an error.
 */
export async function introspectAccessToken(
  deps: { tokens: TokenService; revocations: Pick<RevocationList, 'isRevoked'> },
  token: string,
): Promise<Introspection> {
  try {
    const claims = await deps.tokens.verifyAccess(token);
    const sid = claims.sid === NIL_UUID ? null : claims.sid;
    if (deps.revocations.isRevoked({ jti: claims.jti, sid })) return { ...INVALID, permissions: [] };
    return {
      valid: true,
      account_id: claims.sub,
      organization_id: claims.org_id,
      permissions: claims.permissions,
      expires_at: claims.exp,
      session_id: claims.sid,
      principal_type: claims.principal_type,
    };
  } catch {
    return { ...INVALID, permissions: [] };
  }
}

/**
 * The service JWT an API key is exchanged for: the service account's capabilities as
 * `permissions`, the nil UUID as `sid` (no session), `ttlSeconds` long.
 */
export async function issueServiceToken(tokens: TokenService, principal: Principal, ttlSeconds: number) {
  const issued = await tokens.signAccess({
    sub: principal.accountId,
    sid: NIL_UUID,
    orgId: principal.orgId,
    permissions: principal.permissions,
    organizations: principal.organizations,
    principalType: 'service',
    ttlSeconds,
  });
  return {
    access_token: issued.token,
    token_type: 'Bearer' as const,
    expires_in: ttlSeconds,
    account_id: principal.accountId,
    organization_id: principal.orgId,
    permissions: principal.permissions,
    principal_type: 'service' as const,
  };
}
