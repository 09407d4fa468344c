import { bearerToken, createPrincipalAccessor, documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OrgAccess, Principal, UserPrincipal } from '../auth/principal.js';
import type { OrgOperationName } from '../auth/roles.js';
import type { BacklexDeps } from '../composition.js';
import { errors } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * An `/org/{slug}/…` route's operation in the roles matrix (`auth/roles.ts`): the org is
     * resolved and the caller's role, key scope and address are checked before the body is read.
     * Routes without it (`/orgs`, `/org`, `/account`, `/invitations/accept`) are session-only.
     */
    orgOperation?: OrgOperationName;
  }
}

const principals = createPrincipalAccessor<Principal>(() => errors.UNAUTHORIZED());
const orgAccesses = createPrincipalAccessor<OrgAccess>(() => errors.UNAUTHORIZED());

/** The caller of an authenticated route (a person, or on org routes possibly an API key). */
export const principalOf = principals.of;

/** The caller of a session-only route: always a person. */
export function userOf(request: FastifyRequest): UserPrincipal {
  const principal = principals.of(request);
  if (principal.kind !== 'user') throw errors.UNAUTHORIZED();
  return principal;
}

/** The org, role and address an org route's hook resolved (`config.orgOperation`). */
export const orgAccessOf = orgAccesses.of;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** better-auth's session cookie, `better-auth.session_token` (its signed value), as the seed names it. */
async function sessionPrincipal(
  deps: BacklexDeps,
  request: FastifyRequest,
): Promise<UserPrincipal | undefined> {
  const cookie = request.headers.cookie;
  if (!cookie?.includes('better-auth.session_token=')) return undefined;
  // The same cookie header better-auth answered from its cache cookie is answered from memory
  // (auth/session-memo.ts: never longer than better-auth's own cookie cache would).
  return deps.sessionMemo.get(cookie, async () => {
    const found = await deps.auth.api.getSession({ headers: new Headers({ cookie }) });
    if (!found) return undefined;
    return {
      kind: 'user',
      userId: found.user.id,
      email: found.user.email,
      name: found.user.name,
      sessionId: found.session.id,
    };
  });
}

/**
 * Everything under it needs a caller: a session cookie, or (org routes only) an org API key. The
 * hook runs on `onRequest`, before any body is read: 401, then a foreign `Origin` on a cookie
 * mutation (403), the per-caller rate limit (429), and for org routes the org gate (404/403).
 */
export function authenticatedScope(deps: BacklexDeps, routes: (scope: FastifyInstance) => Promise<void>) {
  return async (scope: FastifyInstance) => {
    scope.addHook('onRoute', documentSecurity([{ sessionCookie: [] }]));
    // Seed bodies are JSON only: any other type is 400 BAD_REQUEST (issue 16), never parsed.
    scope.removeContentTypeParser('text/plain');
    scope.addHook('onRequest', async (request, reply) => {
      const operation = request.routeOptions.config.orgOperation;
      const authorization = request.headers.authorization;
      const token = authorization ? bearerToken(authorization) : undefined;
      let principal: Principal | undefined;
      if (token !== undefined) {
        // Keys only reach org routes (issue 16); a key elsewhere is no credential.
        if (!operation || !deps.authenticateKey || !token.startsWith('pak_')) throw errors.UNAUTHORIZED();
        principal = await deps.authenticateKey(token);
      } else {
        principal = await sessionPrincipal(deps, request);
      }
      if (!principal) throw errors.UNAUTHORIZED();
      principals.set(request, principal);
      if (principal.kind === 'user' && !SAFE_METHODS.has(request.method)) {
        const origin = request.headers.origin;
        if (origin !== undefined && !deps.trustedOrigins.has(origin)) {
          throw errors.FORBIDDEN('Cross-origin request refused');
        }
      }
      const limited = await deps.requestLimiter.consume(
        principal.kind === 'user' ? `user:${principal.userId}` : `key:${principal.keyId}`,
      );
      if (!limited.allowed) throw errors.RATE_LIMITED(limited.retryAfterSeconds);
      reply.header('X-RateLimit-Limit', String(limited.limit));
      reply.header('X-RateLimit-Remaining', String(limited.remaining));
      if (operation) {
        const slug = (request.params as { slug?: unknown }).slug;
        if (typeof slug !== 'string') throw new Error(`route ${request.routeOptions.url} has no {slug}`);
        orgAccesses.set(request, await deps.orgAccess.resolve(principal, slug, operation, request.ip));
      }
    });
    // A change made through an org route (members, keys, settings, deletion) has committed by the
    // time its answer is sent: this process forgets what it cached about the org before sending it,
    // so the caller's next request here sees the change (other processes: the NOTIFY of 0041).
    scope.addHook('onSend', async (request) => {
      if (SAFE_METHODS.has(request.method) || !request.routeOptions.config.orgOperation) return;
      const access = orgAccesses.find(request);
      if (access) deps.accessCache.invalidateOrg(access.org.id);
    });
    await routes(scope);
  };
}
