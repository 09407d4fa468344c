import { constantTimeEqual, randomToken } from '@trustplane/kernel';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { AccountConfig } from '../config.js';
import { errors } from '../errors.js';

export const REFRESH_COOKIE = 'refresh_token';
export const CSRF_COOKIE = 'csrf_token';
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function baseOptions(config: AccountConfig) {
  return {
    path: '/',
    sameSite: config.cookie.sameSite,
    secure: config.cookie.secure,
    ...(config.cookie.domain ? { domain: config.cookie.domain } : {}),
  } as const;
}

/**
 * A cookie the request carries, parsed on first use (@fastify/cookie runs with `hook: false`, so a
 * request that reads no cookie does not pay for parsing them).
 */
export function requestCookie(request: FastifyRequest, name: string): string | undefined {
  if (request.cookies == null) {
    const header = request.headers.cookie;
    request.cookies = header ? request.server.parseCookie(header) : {};
  }
  return request.cookies[name];
}

/** Writes the seed's two cookies; returns the new CSRF token (also echoed in the body). */
export function setSessionCookies(reply: FastifyReply, config: AccountConfig, refreshToken: string): string {
  const csrf = randomToken(32);
  const options = { ...baseOptions(config), maxAge: config.refreshTokenTtl };
  reply.setCookie(REFRESH_COOKIE, refreshToken, { ...options, httpOnly: true });
  reply.setCookie(CSRF_COOKIE, csrf, { ...options, httpOnly: false });
  return csrf;
}

export function clearSessionCookies(reply: FastifyReply, config: AccountConfig): void {
  const options = baseOptions(config);
  reply.clearCookie(REFRESH_COOKIE, { ...options, httpOnly: true });
  reply.clearCookie(CSRF_COOKIE, { ...options, httpOnly: false });
}

/**
 * The double-submit gate of the seed's CSRF card. Active only for a mutating method, without an
 * Authorization or X-API-Key header, when the request carries the csrf_token cookie; then the
 * configured header must echo the cookie (constant-time compare), else 403/4030.
 */
export function csrfGate(config: AccountConfig) {
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    done(csrfFailure(config, request));
  };
}

function csrfFailure(config: AccountConfig, request: FastifyRequest) {
  if (!MUTATING.has(request.method)) return undefined;
  if (request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined)
    return undefined;
  const cookie = requestCookie(request, CSRF_COOKIE);
  if (cookie === undefined) return undefined;
  const header = request.headers[config.csrfHeader];
  if (typeof header !== 'string' || header.length === 0 || !constantTimeEqual(header, cookie)) {
    return errors.CSRF();
  }
  return undefined;
}
