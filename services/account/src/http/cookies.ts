import { constantTimeEqual, randomToken } from '@trustplane/kernel';
import { parseCookie, type SetCookie, stringifySetCookie } from 'cookie';
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
 * A cookie the request carries, parsed on first use. Cookies are read by two things only (the CSRF
 * gate of cookie-authenticated writes and the refresh route), so they are not parsed by a hook on
 * every request, as @fastify/cookie's would.
 */
export function requestCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  return header ? parseCookie(header)[name] : undefined;
}

/**
 * Adds one `Set-Cookie` header at once (`cookie`'s serializer, the one @fastify/cookie uses, with
 * its `SameSite=Lax` default). Written directly rather than through the plugin, whose `onSend`
 * hook ran on every response of the service to flush cookies that only four routes set.
 */
function writeCookie(
  reply: FastifyReply,
  name: string,
  value: string,
  attributes: SetCookieAttributes,
): void {
  reply.header('set-cookie', stringifySetCookie({ name, value, sameSite: 'lax', ...attributes }));
}

type SetCookieAttributes = Omit<SetCookie, 'name' | 'value'>;

/** Writes the seed's two cookies; returns the new CSRF token (also echoed in the body). */
export function setSessionCookies(reply: FastifyReply, config: AccountConfig, refreshToken: string): string {
  const csrf = randomToken(32);
  const options = { ...baseOptions(config), maxAge: config.refreshTokenTtl };
  writeCookie(reply, REFRESH_COOKIE, refreshToken, { ...options, httpOnly: true });
  writeCookie(reply, CSRF_COOKIE, csrf, { ...options, httpOnly: false });
  return csrf;
}

/** A session grant as login, refresh and switch answer it: its cookies set, the CSRF token added. */
export function withSessionCookies<Grant extends { refresh_token: string }>(
  reply: FastifyReply,
  config: AccountConfig,
  grant: Grant,
): Grant & { csrf_token: string } {
  return { ...grant, csrf_token: setSessionCookies(reply, config, grant.refresh_token) };
}

/**
 * `onSend` hook of the logout routes: their cookies are cleared on every answer, even when the
 * server-side revoke fails.
 */
export function clearSessionCookiesOnSend(config: AccountConfig) {
  return async (_request: FastifyRequest, reply: FastifyReply) => {
    clearSessionCookies(reply, config);
  };
}

/** Expires both cookies (an empty value, `Max-Age=0` and an expiry in 1970). */
export function clearSessionCookies(reply: FastifyReply, config: AccountConfig): void {
  const options = { ...baseOptions(config), expires: new Date(0), maxAge: 0 };
  writeCookie(reply, REFRESH_COOKIE, '', { ...options, httpOnly: true });
  writeCookie(reply, CSRF_COOKIE, '', { ...options, httpOnly: false });
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
