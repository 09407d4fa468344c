import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NIL_UUID } from '../../auth/tokens.js';
import type { AccountDeps } from '../../deps.js';
import { errors } from '../../errors.js';
import { epoch } from '../../identity/access.js';
import * as auth from '../../identity/auth-service.js';
import { clearSessionCookies, REFRESH_COOKIE, setSessionCookies } from '../cookies.js';
import { protect } from '../hooks.js';
import { authenticateApiKey, principalOf, requireHuman } from '../principal.js';
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
          summary: 'Register account',
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
          summary: 'Login',
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
          summary: 'Refresh tokens (rotation with reuse detection)',
          body: z.object({ refresh_token: z.string().min(1).max(8192).optional() }).nullish(),
          response: { 200: ok(sessionGrant), ...errorResponses },
        },
      },
      async (request, reply) => {
        const token = request.body?.refresh_token ?? request.cookies[REFRESH_COOKIE];
        if (!token)
          throw errors.unauthorized('Missing refresh token (body refresh_token or refresh_token cookie)');
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
          summary: 'Resend verification email (never reveals whether the account exists)',
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
          summary: 'Request password reset (never reveals whether the account exists)',
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
          summary: 'Confirm password reset',
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
          summary: 'Introspect an access token (signature + exp + revocation)',
          body: z.object({ token: z.string({ error: 'is required' }).min(1).max(8192) }),
          response: { 200: ok(introspection), ...errorResponses },
        },
      },
      async (request) => {
        try {
          const claims = await deps.tokens.verifyAccess(request.body.token);
          const sid = claims.sid === NIL_UUID ? null : claims.sid;
          if (deps.revocations.isRevoked({ jti: claims.jti, sid })) throw errors.unauthorized('revoked');
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
          summary: 'RS256 public key of the active signing key',
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
          summary: 'JWKS: the active key and every previous key still verifying (extension)',
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
            throw errors.badRequest('x-api-key: X-API-Key header is required');
          }
          request.principal = await authenticateApiKey(deps, apiKey);
        },
        schema: {
          tags: ['auth'],
          summary: 'Exchange an API key for a 1-hour service JWT',
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
          summary: 'Logout (current session)',
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
          summary: 'Logout from all devices',
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
          summary: 'The principal the middleware extracted (no database lookup)',
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
