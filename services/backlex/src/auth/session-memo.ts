import type { UserPrincipal } from './principal.js';

/** better-auth's cookie cache lifetime (`session.cookieCache.maxAge` in better-auth.ts). */
export const COOKIE_CACHE_SECONDS = 60;
const MAX_ENTRIES = 10_000;
const SESSION_DATA = 'better-auth.session_data=';

/**
 * When the `better-auth.session_data` cookie in `cookie` says it stops answering (its own
 * `expiresAt`, readable without the secret), or undefined when there is none or it cannot be read.
 * Only a bound: the memo never outlives what the cookie claims, the signature is better-auth's to check.
 */
function cacheCookieExpiry(cookie: string): number | undefined {
  const start = cookie.indexOf(SESSION_DATA);
  if (start < 0) return undefined;
  const end = cookie.indexOf(';', start);
  const value = cookie.slice(start + SESSION_DATA.length, end < 0 ? undefined : end).trim();
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { expiresAt?: unknown };
    return typeof parsed.expiresAt === 'number' && Number.isFinite(parsed.expiresAt)
      ? parsed.expiresAt
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * better-auth's `getSession` answered from memory for a `Cookie` header it already answered.
 * With the cookie cache on, better-auth answers a request carrying both cookies from the signed
 * `session_data` cookie alone (no query) until that cookie's own `expiresAt` — a pure function of
 * the header and the clock, whose cost is two HMAC checks and an endpoint context per request. The
 * memo keeps that answer for the same header, never past the cache cookie's `expiresAt` and never
 * longer than the cookie cache's 60 s, so nothing answers longer than better-auth itself would: a
 * signed-out session's replayed cookies keep the documented 60 s bound (README, "Session"). A header
 * without the cache cookie (the token alone) is never memoised: better-auth reads the database for it.
 */
export function createSessionMemo() {
  const entries = new Map<string, { principal: UserPrincipal; until: number }>();
  return {
    async get(
      cookie: string,
      verify: () => Promise<UserPrincipal | undefined>,
    ): Promise<UserPrincipal | undefined> {
      const now = Date.now();
      const hit = entries.get(cookie);
      if (hit && hit.until > now) return hit.principal;
      if (hit) entries.delete(cookie);
      const principal = await verify();
      const expiry = principal ? cacheCookieExpiry(cookie) : undefined;
      if (principal && expiry !== undefined && expiry > now) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
        entries.set(cookie, { principal, until: Math.min(expiry, now + COOKIE_CACHE_SECONDS * 1000) });
      }
      return principal;
    },
  };
}

export type SessionMemo = ReturnType<typeof createSessionMemo>;
