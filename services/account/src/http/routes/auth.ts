import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NIL_UUID } from '../../auth/tokens.js';
import type { AccountDeps } from '../../deps.js';
import { errors } from '../../errors.js';
import { epoch } from '../../identity/access.js';
import * as auth from '../../identity/auth-service.js';
import { clearSessionCookies, REFRESH_COOKIE, requestCookie, setSessionCookies } from '../cookies.js';
import { protect } from '../hooks.js';
import { ACCOUNT_SECURITY } from '../openapi.js';
import { authenticateApiKey, principalOf, principals, requireHuman } from '../principal.js';
import { email, errorResponses, membershipView, ok, okNull, originOf, sessionGrant } from '../schemas.js';

const password = z
  .string({ error: 'is required' })
  .min(1, { error: 'is required' })
  .max(1024, { error: 'is too long' });
const displayName = z
  .string({ error: 'is required' })
  .trim()
  .min(1, { error: 'is required' })
  .max(200, { error: 'must be at most 200 characters' });

const timezone = z
  .string()
  .max(64)
  .refine(
    (value) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: value });
        return true;
      } catch {
        return false;
      }
    },
    { error: 'must be an IANA timezone' },
  );
const language = z.string().regex(/^[a-z]{2}$/, { error: 'must be an ISO 639-1 code' });

const whoami = z.object({
  account_id: z.string(),
  principal_type: z.enum(['human', 'service']),
  session_id: z.string(),
  current_org_id: z.string(),
  organizations: z.array(z.object({ id: z.string(), role: z.string() })),
  permissions: z.array(z.string()),
});

const introspection = z.object({
  valid: z.boolean(),
  account_id: z.string().nullable(),
  organization_id: z.string().nullable(),
  permissions: z.array(z.string()),
  expires_at: z.number().int().nullable(),
  session_id: z.string().nullable(),
  principal_type: z.enum(['human', 'service']).nullable(),
});

/** Public routes of `/api/v1/auth` (each with its own per-IP window). */
export function publicAuthRoutes(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', documentSecurity(ACCOUNT_SECURITY.public));
    const routes = app.withTypeProvider<ZodTypeProvider>();
    const sendGrant = (reply: FastifyReply, grant: auth.SessionGrant) => {
      const csrf = setSessionCookies(reply, deps.config, grant.refresh_token);
      return { ...grant, csrf_token: csrf };
    };

    routes.post(
      '/api/v1/auth/register',
      {
        config: { rateLimit: 'register' },
        schema: {
          tags: ['auth'],
          operationId: 'registerAccount',
          summary: 'Register account',
          description:
            'Create a new human account. A personal organization is created in the same transaction with the registrant as owner. A verification email is queued (event `email.requested`). Auto-logs in: returns access + refresh tokens and sets the SSO refresh cookie. **Rate limit:** 3 / minute / IP.',
          body: z.object({
            email,
            password,
            display_name: displayName,
            timezone: timezone.optional(),
            language: language.optional(),
          }),
          response: {
            201: ok(
              z.object({
                account_id: z.string(),
                email: z.string(),
                access_token: z.string(),
                refresh_token: z.string(),
                expires_in: z.number().int(),
                personal_org: membershipView,
                csrf_token: z.string(),
                requires_email_verification: z.boolean(),
              }),
            ),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const { grant, personalOrg } = await auth.register(deps, request.body, originOf(request));
        const csrf = setSessionCookies(reply, deps.config, grant.refresh_token);
        return reply.status(201).send({
          success: true as const,
          code: 2010,
          data: {
            account_id: grant.account_id,
            email: grant.email,
            access_token: grant.access_token,
            refresh_token: grant.refresh_token,
            expires_in: grant.expires_in,
            personal_org: personalOrg,
            csrf_token: csrf,
            requires_email_verification: grant.requires_email_verification,
          },
        });
      },
    );

    routes.post(
      '/api/v1/auth/login',
      {
        config: { rateLimit: 'login' },
        schema: {
          tags: ['auth'],
          operationId: 'login',
          summary: 'Login',
          description:
            "Authenticate with email + password. Returns access + refresh tokens and the user's full organization list. Sets refresh + CSRF cookies. Brute-force protection: per-IP and per-account counters with progressive delay and lockout. **Rate limit:** 5 / minute / IP.",
          body: z.object({ email, password }),
          response: { 200: ok(sessionGrant), ...errorResponses },
        },
      },
      async (request, reply) => {
        const grant = await auth.login(deps, request.body, originOf(request));
        return { success: true as const, data: sendGrant(reply, grant) };
      },
    );

    routes.post(
      '/api/v1/auth/refresh',
      {
        schema: {
          tags: ['auth'],
          operationId: 'refreshTokens',
          security: ACCOUNT_SECURITY.refresh,
          summary: 'Refresh tokens',
          description:
            "Exchange a refresh token for a new access + refresh pair. The old refresh token's hash is rotated server-side; the old JTI is added to the revocation list once rotation is persisted. Replaying the old refresh token after this call kills the session (reuse detection). Refresh token may be in the body or in the `refresh_token` cookie (SSO flow).",
          body: z.object({ refresh_token: z.string().min(1).max(8192).optional() }).nullish(),
          response: { 200: ok(sessionGrant), ...errorResponses },
        },
      },
      async (request, reply) => {
        const token = request.body?.refresh_token ?? requestCookie(request, REFRESH_COOKIE);
        if (!token)
          throw errors.UNAUTHORIZED('Missing refresh token (body refresh_token or refresh_token cookie)');
        const grant = await auth.refresh(deps, token, originOf(request));
        return { success: true as const, data: sendGrant(reply, grant) };
      },
    );

    routes.post(
      '/api/v1/auth/resend-verification',
      {
        config: { rateLimit: 'register' },
        schema: {
          tags: ['auth'],
          operationId: 'resendVerificationEmail',
          summary: 'Resend verification email',
          description:
            'Re-emit the verification email for an unverified account. Always returns success regardless of whether the email exists, to avoid leaking account presence. **Rate limit:** 3 / minute / IP.',
          body: z.object({ email }),
          response: { 200: ok(z.object({ message: z.string() })), ...errorResponses },
        },
      },
      async (request) => {
        await auth.resendVerification(deps, request.body.email);
        return {
          success: true as const,
          data: {
            message: 'If the account exists and is unverified, a new verification email has been sent.',
          },
        };
      },
    );

    routes.post(
      '/api/v1/auth/password-reset',
      {
        config: { rateLimit: 'register' },
        schema: {
          tags: ['auth'],
          operationId: 'requestPasswordReset',
          summary: 'Request password reset',
          description:
            'Initiate a password reset. Always returns success, even when the email is unknown, to prevent email enumeration. Generates a 1-hour JWT and emits an `email.requested` event with the reset link.',
          body: z.object({ email }),
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        await auth.requestPasswordReset(deps, request.body.email);
        return { success: true as const, data: null };
      },
    );

    routes.post(
      '/api/v1/auth/password-reset/confirm',
      {
        schema: {
          tags: ['auth'],
          operationId: 'confirmPasswordReset',
          summary: 'Confirm password reset',
          description:
            'Complete a password reset using the JWT from the email link. Validates the token (signature + jti not previously used), updates the password hash, and revokes all sessions for the account.',
          body: z.object({
            token: z.string({ error: 'is required' }).min(1).max(8192),
            new_password: password,
          }),
          response: { 200: ok(z.object({ success: z.literal(true) })), ...errorResponses },
        },
      },
      async (request) => {
        await auth.confirmPasswordReset(deps, request.body, originOf(request));
        return { success: true as const, data: { success: true as const } };
      },
    );

    routes.post(
      '/api/v1/auth/verify',
      {
        config: { rateLimit: 'verify' },
        schema: {
          tags: ['auth'],
          operationId: 'verifyAccessToken',
          summary: 'Verify access token',
          description:
            'Introspect an access token (signature + exp + revocation). Used by downstream services that prefer a server-side check over local public-key verification. Returns the claims **as-is**: permissions come from the token, not re-derived from current state. Use `/auth/refresh` if you need fresh permissions. **Rate limit:** 100 / minute / IP.',
          body: z.object({ token: z.string({ error: 'is required' }).min(1).max(8192) }),
          response: { 200: ok(introspection), ...errorResponses },
        },
      },
      async (request) => {
        try {
          const claims = await deps.tokens.verifyAccess(request.body.token);
          const sid = claims.sid === NIL_UUID ? null : claims.sid;
          if (deps.revocations.isRevoked({ jti: claims.jti, sid })) throw errors.UNAUTHORIZED('revoked');
          return {
            success: true as const,
            data: {
              valid: true,
              account_id: claims.sub,
              organization_id: claims.org_id,
              permissions: claims.permissions,
              expires_at: claims.exp,
              session_id: claims.sid,
              principal_type: claims.principal_type,
            },
          };
        } catch {
          // RFC 7662 style: an unusable token is a normal answer, not an error.
          return {
            success: true as const,
            data: {
              valid: false,
              account_id: null,
              organization_id: null,
              permissions: [],
              expires_at: null,
              session_id: null,
              principal_type: null,
            },
          };
        }
      },
    );

    routes.get(
      '/api/v1/auth/public-key',
      {
        schema: {
          tags: ['auth'],
          operationId: 'getPublicKeyRs256',
          summary: 'Get public key (RS256)',
          description:
            'Return the RS256 public key (PEM) for local JWT verification by downstream services. Cache this for the lifetime of `expires_at` (default 90 days). **Key rotation strategy:** - Each issued JWT carries a `kid` claim in its header naming the key that signed it (e.g. `key-2026-03-01-v1`). - Verifiers should cache by `kid`. On a cache miss (unfamiliar `kid`), re-fetch this endpoint to learn the new key. - During rotation, account-service serves the **new** key here but continues to **accept** tokens signed by the previous key until those tokens naturally exp. Verifiers should retain the previous key entry until its tokens have aged out. - `expires_at` is the rough cache horizon — refresh before that even without a `kid` mismatch to pick up scheduled rotations.',
          response: {
            200: ok(
              z.object({
                key_id: z.string(),
                algorithm: z.literal('RS256'),
                public_key: z.string(),
                expires_at: z.number().int(),
              }),
            ),
          },
        },
      },
      async (_request, reply) => {
        const active = deps.keys.active;
        reply.header('cache-control', 'public, max-age=300');
        return {
          success: true as const,
          data: {
            key_id: active.kid,
            algorithm: 'RS256' as const,
            public_key: active.publicPem,
            expires_at: epoch(active.createdAt) + deps.config.publicKeyCacheDays * 86_400,
          },
        };
      },
    );

    routes.get(
      '/.well-known/jwks.json',
      {
        schema: {
          tags: ['auth'],
          operationId: 'getJwks',
          summary: 'JWKS: the active key and every previous key still verifying',
          'x-extension': true,
          response: { 200: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=300');
        return deps.keys.ring.jwks() as { keys: Record<string, unknown>[] };
      },
    );

    routes.post(
      '/api/v1/auth/token-exchange',
      {
        // The key is checked before any body is read (the route takes none).
        onRequest: async (request) => {
          const apiKey = request.headers['x-api-key'];
          if (typeof apiKey !== 'string' || apiKey.length === 0) {
            throw errors.BAD_REQUEST('x-api-key: X-API-Key header is required');
          }
          principals.set(request, await authenticateApiKey(deps, apiKey));
        },
        schema: {
          tags: ['auth'],
          operationId: 'exchangeApiKeyForJwt',
          security: ACCOUNT_SECURITY.apiKey,
          summary: 'Exchange API key for JWT',
          description:
            "Validate the supplied `X-API-Key` header and return a 1-hour service JWT (`principal_type: service`). Lets a service principal authenticate downstream calls with a verifiable JWT instead of re-presenting the API key on every hop. The JWT carries the service account's capabilities as `permissions` and `nil` as `sid`.",
          headers: z.object({ 'x-api-key': z.string({ error: 'X-API-Key header is required' }).min(1) }),
          response: {
            200: ok(
              z.object({
                access_token: z.string(),
                token_type: z.literal('Bearer'),
                expires_in: z.number().int(),
                account_id: z.string(),
                organization_id: z.string(),
                permissions: z.array(z.string()),
                principal_type: z.literal('service'),
              }),
            ),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const issued = await deps.tokens.signAccess({
          sub: principal.accountId,
          sid: NIL_UUID,
          orgId: principal.orgId,
          permissions: principal.permissions,
          organizations: principal.organizations,
          principalType: 'service',
          ttlSeconds: deps.config.serviceTokenTtl,
        });
        return {
          success: true as const,
          data: {
            access_token: issued.token,
            token_type: 'Bearer' as const,
            expires_in: deps.config.serviceTokenTtl,
            account_id: principal.accountId,
            organization_id: principal.orgId,
            permissions: principal.permissions,
            principal_type: 'service' as const,
          },
        };
      },
    );
  };
}

/** Authenticated routes of `/api/v1/auth`. */
export function protectedAuthRoutes(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();

    // Cookies are cleared on every answer of the logout routes, even when the revoke fails.
    const clearCookies = async (_request: FastifyRequest, reply: FastifyReply) => {
      clearSessionCookies(reply, deps.config);
    };
    const done = ok(z.object({ success: z.literal(true) }));

    routes.post(
      '/api/v1/auth/logout',
      {
        onSend: clearCookies,
        schema: {
          tags: ['auth'],
          operationId: 'logoutCurrentSession',
          summary: 'Logout (current session)',
          description:
            "Revoke the current session. The access token's JTI is also added to the revocation list so a token stolen before logout stops validating immediately. Cookies are always cleared on the response, even if the server-side revoke fails. **Service principals cannot call this endpoint** — they have no session.",
          response: { 200: done, ...errorResponses },
        },
      },
      async (request) => {
        await auth.logout(deps, requireHuman(request), originOf(request));
        return { success: true as const, data: { success: true as const } };
      },
    );

    routes.post(
      '/api/v1/auth/logout-all',
      {
        onSend: clearCookies,
        schema: {
          tags: ['auth'],
          operationId: 'logoutFromAllDevices',
          summary: 'Logout from all devices',
          description:
            'Revoke every active session for the calling account. Useful for "I lost my phone" or post-password-change cleanups. Cookies are rotated/cleared on the response.',
          response: { 200: done, ...errorResponses },
        },
      },
      async (request) => {
        await auth.logoutAll(deps, requireHuman(request), originOf(request));
        return { success: true as const, data: { success: true as const } };
      },
    );

    routes.get(
      '/api/v1/auth/whoami',
      {
        // The hot path of the service: the answer is built from the typed principal, so it is
        // serialised directly instead of being re-validated against its schema on every call.
        serializerCompiler: () => (data) => JSON.stringify(data),
        schema: {
          tags: ['auth'],
          operationId: 'whoami',
          summary: 'Whoami',
          description:
            'Return the principal identity carried by the request — exactly what the middleware extracted, with no extra DB lookups. Useful for SDKs and gateways debugging auth wiring.',
          response: { 200: ok(whoami), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        return {
          success: true as const,
          data: {
            account_id: principal.accountId,
            principal_type: principal.type,
            session_id: principal.sessionId ?? NIL_UUID,
            current_org_id: principal.orgId,
            organizations: principal.organizations,
            permissions: principal.permissions,
          },
        };
      },
    );
  };
}
