import { createPrincipalAccessor, documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { errors } from '../errors.js';
import type { Caller } from '../keys/api-keys.js';
import { missingScope, type ScopeRequirement } from '../keys/scopes.js';
import type { VerifactDeps } from '../composition.js';

/** What a keyed route declares in its `config.access`. */
export interface RouteAccess {
  /** Stable operation name (`verifact.claims.update`): logged with each counted request. */
  operation: string;
  requirement: ScopeRequirement;
  /** Counted against the key's daily limit: the operations whose seed entry lists 429. */
  rateLimited: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

/** The key (and its tenant) the tenant-key scope's hook accepted. */
const callers = createPrincipalAccessor<Caller>(() => errors.unauthorized());
export const principalOf = callers.of;

/**
 * The tenant-key scope: every route registered inside answers 401 / 403 / 429 from `onRequest`,
 * before its body is read.
 */
export function tenantKeyScope(deps: VerifactDeps, routes: (scope: FastifyInstance) => Promise<void>) {
  return async (scope: FastifyInstance) => {
    scope.addHook('onRoute', documentSecurity([{ BearerAuth: [] }]));
    scope.addHook('onRequest', async (request, reply) => {
      const access = request.routeOptions.config.access;
      if (!access) throw new Error(`route ${request.routeOptions.url} declares no access`);
      const caller = await deps.apiKeys.authenticate(request.headers.authorization);
      callers.set(request, caller);
      const missing = missingScope(caller.scopes, access.requirement);
      if (missing) {
        throw errors.insufficientScope(
          missing,
          'anyOf' in access.requirement ? access.requirement.anyOf : undefined,
        );
      }
      if (!access.rateLimited) return;
      const decision = await deps.requestLog.consume(
        caller.keyId,
        caller.tenant.id,
        access.operation,
        caller.dailyLimit,
      );
      const headers: Record<string, string> = {
        'X-RateLimit-Limit': String(decision.limit),
        'X-RateLimit-Remaining': String(decision.remaining),
        'X-RateLimit-Reset': String(decision.resetSeconds),
      };
      if (!decision.allowed) {
        throw errors.rateLimited(decision.resetSeconds, {
          ...headers,
          'Retry-After': String(decision.resetSeconds),
        });
      }
      reply.headers(headers);
    });
    await routes(scope);
  };
}

export const metaSchema = z.object({
  apiVersion: z.string(),
  tenant: z.string(),
  keyPrefix: z.string(),
  processedAt: z.string(),
});

/** `_meta` of keyed JSON successes: tenant code and the key's display prefix. */
export function meta(request: FastifyRequest) {
  const caller = principalOf(request);
  return {
    apiVersion: 'v1',
    tenant: caller.tenant.code,
    keyPrefix: caller.keyPrefix,
    processedAt: new Date().toISOString(),
  };
}
