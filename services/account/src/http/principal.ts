import { hashApiKey } from '@trustplane/kernel';
import type { FastifyRequest } from 'fastify';
import { type AccessClaims, NIL_UUID, type OrgClaim, type PrincipalType } from '../auth/tokens.js';
import type { AccountDeps } from '../deps.js';
import { errors } from '../errors.js';
import { hasPermission } from '../identity/access.js';

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

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw errors.unauthorized();
  return request.principal;
}

export function requireHuman(request: FastifyRequest): Principal & { sessionId: string } {
  const principal = principalOf(request);
  if (principal.type !== 'human' || !principal.sessionId) {
    throw errors.unauthorized('Service principals have no session or password');
  }
  return principal as Principal & { sessionId: string };
}

export function requirePermission(principal: Principal, permission: string): void {
  if (!hasPermission(principal.permissions, permission)) throw errors.forbidden(permission);
}

/**
 * A permission inside one organization: the token speaks for its current org only, so acting in
 * another one needs a switch first. A caller that is not a member at all learns nothing (404).
 */
export function requireOrgPermission(principal: Principal, orgId: string, permission: string): void {
  if (principal.orgId !== orgId) {
    if (principal.organizations.some((org) => org.id === orgId)) {
      throw errors.unauthorized(`Switch to organization ${orgId} before acting in it`);
    }
    throw errors.notFound('Organization');
  }
  requirePermission(principal, permission);
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw errors.unauthorized('Authorization header must be "Bearer <token>"');
  return match[1];
}

function principalFromClaims(claims: AccessClaims): Principal {
  const sid = claims.sid === NIL_UUID ? null : claims.sid;
  return {
    type: claims.principal_type === 'service' ? 'service' : 'human',
    accountId: claims.sub,
    sessionId: sid,
    orgId: claims.org_id,
    permissions: Array.isArray(claims.permissions) ? claims.permissions : [],
    organizations: Array.isArray(claims.organizations) ? claims.organizations : [],
    via: 'jwt',
    jti: claims.jti,
    expiresAt: new Date(claims.exp * 1000),
    apiKeyId: null,
  };
}

/**
 * The synchronous hot path: a well-formed Bearer token verified before, unexpired and not
 * revoked. Anything else (undefined) goes through `authenticate`, which explains the failure.
 */
export function authenticateFromCache(deps: AccountDeps, request: FastifyRequest): Principal | undefined {
  const header = request.headers.authorization;
  if (header === undefined || !header.startsWith('Bearer ')) return undefined;
  const claims = deps.tokens.cachedAccess(header.slice(7));
  if (!claims) return undefined;
  if (deps.revocations.isRevoked({ jti: claims.jti, sid: claims.sid === NIL_UUID ? null : claims.sid }))
    return undefined;
  return principalFromClaims(claims);
}

/** Resolves the caller from `Authorization: Bearer` or `X-API-Key`; throws 401/4003 when neither works. */
export async function authenticate(deps: AccountDeps, request: FastifyRequest): Promise<Principal> {
  const token = bearerToken(request);
  if (token !== undefined) {
    const claims = await deps.tokens.verifyAccess(token);
    const sid = claims.sid === NIL_UUID ? null : claims.sid;
    if (deps.revocations.isRevoked({ jti: claims.jti, sid })) {
      throw errors.unauthorized('Token has been revoked');
    }
    return principalFromClaims(claims);
  }
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return authenticateApiKey(deps, apiKey);
  throw errors.unauthorized('Missing credentials: send Authorization: Bearer <token> or X-API-Key');
}

/**
 * An API key is looked up by its SHA-256; it works while it is neither revoked nor expired and its
 * service account is active. Its permissions are cut to the account's current capabilities, so a
 * capability removed from the account stops working at once for raw key calls.
 */
export async function authenticateApiKey(deps: AccountDeps, apiKey: string): Promise<Principal> {
  if (apiKey.length > 200) throw errors.unauthorized('Invalid API key');
  const row = await deps.db
    .selectFrom('api_keys as k')
    .innerJoin('service_accounts as s', 's.account_id', 'k.service_account_id')
    .select([
      'k.id',
      'k.permissions',
      'k.expires_at',
      'k.revoked_at',
      's.account_id',
      's.organization_id',
      's.status',
      's.capabilities',
      's.rate_limit_per_minute',
    ])
    .where('k.key_hash', '=', hashApiKey(apiKey))
    .executeTakeFirst();
  if (!row || row.revoked_at || (row.expires_at && row.expires_at.getTime() <= Date.now())) {
    throw errors.unauthorized('Invalid API key');
  }
  if (row.status !== 'active') throw errors.unauthorized(`Service account is ${row.status}`);
  await deps.limits.enforceApiKey(row.id, row.rate_limit_per_minute);
  const now = new Date();
  await deps.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', row.id).execute();
  await deps.db
    .updateTable('service_accounts')
    .set({ last_used_at: now })
    .where('account_id', '=', row.account_id)
    .execute();
  const permissions = row.capabilities.includes('*')
    ? row.permissions
    : row.permissions.filter((permission) => row.capabilities.includes(permission));
  return {
    type: 'service',
    accountId: row.account_id,
    sessionId: null,
    orgId: row.organization_id,
    permissions,
    organizations: [{ id: row.organization_id, role: 'service' }],
    via: 'api_key',
    jti: null,
    expiresAt: null,
    apiKeyId: row.id,
  };
}
