import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccountDeps } from '../deps.js';
import type { LimitFamily } from './limits.js';
import { authenticate } from './principal.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The rate-limit family of a route; routes without one fall under the general per-IP cap. */
    rateLimit?: LimitFamily;
  }
}

/** onRequest hook: the route's per-IP window (seed "Rate limits" card). */
export function rateLimitHook(deps: AccountDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const family = request.routeOptions.config?.rateLimit ?? 'general';
    const headers = await deps.limits.enforce(family, request.ip);
    if (headers) reply.headers(headers);
  };
}

/** onRequest hook of the authenticated scope. */
export function authHook(deps: AccountDeps) {
  return async (request: FastifyRequest) => {
    request.principal = await authenticate(deps, request);
  };
}

/** Registers the auth hook on a scope and documents its routes as protected in OpenAPI. */
export function protect(app: FastifyInstance, deps: AccountDeps): void {
  app.addHook('onRequest', authHook(deps));
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ bearer: [] }, { apiKey: [] }] };
  });
}
