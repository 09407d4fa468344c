import { bearerToken, createPrincipalAccessor } from '@trustplane/kernel';
import type { FastifyRequest } from 'fastify';
import { MAX_API_KEY_LENGTH } from '../auth/api-keys.js';
import { type AccessClaims, NIL_UUID } from '../auth/tokens.js';
import type { AccountDeps } from '../deps.js';
import { errors } from '../errors.js';
import type { HumanPrincipal, Principal } from '../identity/principal.js';

/** The caller the auth hook resolved (JWT or API key). */
export const principals = createPrincipalAccessor<Principal>(() => errors.UNAUTHORIZED());
export const principalOf = principals.of;

export function requireHuman(request: FastifyRequest): HumanPrincipal {
  const principal = principalOf(request);
  if (principal.type !== 'human' || !principal.sessionId) {
    throw errors.UNAUTHORIZED('Service principals have no session or password');
  }
  return principal as HumanPrincipal;
}

function presentedBearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const token = bearerToken(header);
  if (token === undefined) throw errors.UNAUTHORIZED('Authorization header must be "Bearer <token>"');
  return token;
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

/** The last access token verified on a connection: its exact header, what it gave, and when. */
interface ConnectionCredential {
  header: string;
  claims: AccessClaims;
  principal: Principal;
  revocationIds: { jti: string; sid: string | null };
  keyGeneration: unknown;
}

/**
 * Per keep-alive connection, the Authorization header verified last. A client (an SDK, a gateway)
 * sends the same token on request after request; recognising the identical header by comparing it
 * with the last one costs far less than parsing it and hashing its ~800 characters for the
 * verified-token cache on every request, and the caller's principal is reused instead of rebuilt.
 * Expiry, the key set and revocation are still checked on every request. Connections a proxy
 * shares between clients simply see different headers and take the normal path.
 */
const lastCredentialOf = new WeakMap<object, ConnectionCredential>();

/**
 * The synchronous hot path: a well-formed Bearer token verified before, unexpired and not
 * revoked. Anything else (undefined) goes through `authenticate`, which explains the failure.
 */
export function authenticateFromCache(deps: AccountDeps, request: FastifyRequest): Principal | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const connection = request.raw.socket as object | null;
  let credential = connection ? lastCredentialOf.get(connection) : undefined;
  // Another header, or one whose token has expired or whose key set has changed since: looked up
  // afresh (and remembered again if the verified-token cache still vouches for it).
  if (
    credential !== undefined &&
    (credential.header !== header || !deps.tokens.stillValid(credential.claims, credential.keyGeneration))
  ) {
    credential = undefined;
  }
  if (credential === undefined) {
    const token = bearerToken(header);
    if (token === undefined) return undefined;
    const keyGeneration = deps.tokens.keyGeneration;
    const claims = deps.tokens.cachedAccess(token);
    if (!claims) return undefined;
    credential = {
      header,
      claims,
      // Shared by the connection's requests: frozen, so no request can change another's caller.
      principal: Object.freeze(principalFromClaims(claims)),
      revocationIds: { jti: claims.jti, sid: claims.sid === NIL_UUID ? null : claims.sid },
      keyGeneration,
    };
    if (connection) lastCredentialOf.set(connection, credential);
  }
  if (deps.revocations.isRevoked(credential.revocationIds)) return undefined;
  return credential.principal;
}

/** Resolves the caller from `Authorization: Bearer` or `X-API-Key`; throws 401/4003 when neither works. */
export async function authenticate(deps: AccountDeps, request: FastifyRequest): Promise<Principal> {
  const token = presentedBearer(request);
  if (token !== undefined) {
    const claims = await deps.tokens.verifyAccess(token);
    const sid = claims.sid === NIL_UUID ? null : claims.sid;
    if (deps.revocations.isRevoked({ jti: claims.jti, sid })) {
      throw errors.UNAUTHORIZED('Token has been revoked');
    }
    return principalFromClaims(claims);
  }
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return authenticateApiKey(deps, apiKey);
  throw errors.UNAUTHORIZED('Missing credentials: send Authorization: Bearer <token> or X-API-Key');
}

/**
 * An API key (kernel `ApiKeyAuthenticator`: indexed prefix lookup, constant-time hash comparison);
 * it works while it is neither revoked nor expired and its service account is active. Its
 * permissions are cut to the account's current capabilities, so a capability removed from the
 * account stops working at once for raw key calls. Last use is stamped asynchronously.
 */
export async function authenticateApiKey(deps: AccountDeps, apiKey: string): Promise<Principal> {
  if (apiKey.length > MAX_API_KEY_LENGTH) throw errors.UNAUTHORIZED('Invalid API key');
  const found = await deps.apiKeys.authenticate(apiKey, async (row) => {
    if (row.status !== 'active') throw errors.UNAUTHORIZED(`Service account is ${row.status}`);
    await deps.limits.enforceApiKey(row.id, row.rate_limit_per_minute);
  });
  if (!found) throw errors.UNAUTHORIZED('Invalid API key');
  const row = found.record;
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
