import {
  createRateLimiter,
  type RateLimiter,
  type RateLimitStore,
  rateLimitHeaders,
} from '@trustplane/kernel';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IpRateLimits } from '../config.js';
import { errors } from '../errors.js';
import { apiError } from './schemas.js';

type Family = keyof IpRateLimits;

/** The routes counted per client IP, by `METHOD url-pattern`. */
const LIMITED_ROUTES: Readonly<Record<string, Family>> = {
  'POST /api/auth/signup': 'signup',
  'POST /api/auth/login': 'login',
  'POST /api/verification/sessions': 'sessions',
  'POST /api/verification/sessions/:sessionId/presign': 'uploads',
  'POST /api/verification/sessions/:sessionId/upload-complete': 'uploads',
  'POST /api/verification/sessions/:sessionId/liveness/init': 'liveness',
  'POST /api/verification/sessions/:sessionId/liveness/presign-video': 'liveness',
  'POST /api/verification/sessions/:sessionId/liveness/complete': 'liveness',
};

export function createIpLimits(limits: IpRateLimits, store: RateLimitStore) {
  const limiters = Object.fromEntries(
    (Object.keys(limits) as Family[]).map((family) => [
      family,
      createRateLimiter({
        keyPrefix: `kyc.ip.${family}`,
        points: limits[family],
        durationSeconds: 60,
        store,
      }),
    ]),
  ) as Record<Family, RateLimiter>;

  return {
    familyOf(method: string, url: string | undefined): Family | undefined {
      return url === undefined ? undefined : LIMITED_ROUTES[`${method} ${url}`];
    },

    /** Counts the request against its family's window for `request.ip`; 429 `RATE_LIMITED` beyond it. */
    async enforce(request: FastifyRequest): Promise<Record<string, string> | undefined> {
      const family = this.familyOf(request.method, request.routeOptions.url);
      if (!family) return undefined;
      const decision = await limiters[family].consume(request.ip);
      const headers = rateLimitHeaders(decision);
      if (!decision.allowed) throw errors.RATE_LIMITED(decision.retryAfterSeconds, headers);
      return headers;
    },
  };
}

export type IpLimits = ReturnType<typeof createIpLimits>;

/**
 * Registers the per-IP limits on a scope, before its routes: an `onRequest` hook (before the body is
 * read and before any authentication, so a flood costs one counter update per request) and a 429 in
 * the OpenAPI responses of every limited route. `request.ip` is the socket's peer unless the platform
 * trusts the proxy it came through (`TRUSTPLANE_TRUSTED_PROXIES`), so `X-Forwarded-For` alone
 * cannot move a client to a fresh window.
 */
export function registerIpLimits(app: FastifyInstance, limits: IpLimits): void {
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((method) => limits.familyOf(method, route.url))) return;
    route.schema ??= {};
    // A route that documents its own 429 (more causes than the IP limit) keeps its description.
    route.schema.response = { 429: apiError, ...(route.schema.response as object | undefined) };
  });
  app.addHook('onRequest', async (request, reply) => {
    const headers = await limits.enforce(request);
    if (headers) reply.headers(headers);
  });
}
