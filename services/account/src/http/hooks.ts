import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { AccountDeps } from '../deps.js';
import type { LimitFamily } from './limits.js';
import { ACCOUNT_SECURITY } from './openapi.js';
import { authenticate, authenticateFromCache, principals } from './principal.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The rate-limit family of a route; routes without one fall under the general per-IP cap. */
    rateLimit?: LimitFamily;
  }
}

// The hooks below are callback-style with a synchronous fast path where there is one: they run on
// every request, and an already verified JWT needs no promise at all.

/** onRequest hook: the route's per-IP window (seed "Rate limits" card). */
export function rateLimitHook(deps: AccountDeps) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const family = request.routeOptions.config?.rateLimit ?? 'general';
    if (family === 'general') {
      done(deps.limits.checkGeneral(request.ip));
      return;
    }
    deps.limits.enforce(family, request.ip).then((headers) => {
      if (headers) reply.headers(headers);
      done();
    }, done);
  };
}

/** onRequest hook of the authenticated scope. */
export function authHook(deps: AccountDeps) {
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const cached = authenticateFromCache(deps, request);
    if (cached) {
      principals.set(request, cached);
      done();
      return;
    }
    authenticate(deps, request).then((principal) => {
      principals.set(request, principal);
      done();
    }, done);
  };
}

/** Registers the auth hook on a scope and documents its routes as protected in OpenAPI. */
export function protect(app: FastifyInstance, deps: AccountDeps): void {
  app.addHook('onRequest', authHook(deps));
  app.addHook('onRoute', documentSecurity(ACCOUNT_SECURITY.principal));
}
