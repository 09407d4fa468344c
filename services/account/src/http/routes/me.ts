import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { activityFeed } from '../../audit/activity-feed.js';
import { recordAudit } from '../../audit/audit-log.js';
import type { AccountDeps } from '../../deps.js';
import { epoch } from '../../identity/access.js';
import * as auth from '../../identity/auth-service.js';
import { loadProfile, updateProfile } from '../../identity/profile.js';
import { ACCOUNT_BODY_LIMITS } from '../body-limits.js';
import { protect } from '../hooks.js';
import { requirePermission } from '../../identity/principal.js';
import { principalOf, requireHuman } from '../principal.js';
import {
  errorResponses,
  ok,
  okNull,
  originOf,
  page,
  pageQuery,
  paginated,
  permissionString,
} from '../schemas.js';
import { activityItem, activityQuery } from './activity-schemas.js';

const profile = z.object({
  account_id: z.string(),
  account_type: z.enum(['human', 'service']),
  email: z.string(),
  display_name: z.string(),
  avatar_url: z.string(),
  timezone: z.string(),
  language: z.string(),
  email_verified: z.boolean(),
  bio: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  created_at: z.number().int(),
  capabilities: z.array(z.string()).optional(),
  model_config: z.string().nullable().optional(),
  organization_id: z.string().nullable().optional(),
});

const sessionItem = z.object({
  session_id: z.string(),
  ip_address: z.string(),
  user_agent: z.string(),
  device_fingerprint: z.string(),
  created_at: z.number().int(),
  last_used_at: z.number().int(),
  expires_at: z.number().int(),
  is_current: z.boolean(),
});

const sessionsList = z.object({
  sessions: z.array(sessionItem),
  total: z.number().int(),
  page: z.number().int(),
  per_page: z.number().int(),
  total_pages: z.number().int(),
});

export function meRoutes(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.get(
      '/api/v1/me',
      {
        schema: {
          tags: ['account'],
          operationId: 'getMyProfile',
          summary: 'Get my profile',
          description:
            "Return the authenticated principal's profile (account details + email verification status). Works for both human and service principals.",
          response: { 200: ok(profile), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const data = await loadProfile(deps.repositories, principal.accountId);
        await recordAudit(deps.repositories.auditLogs, {
          actorId: principal.accountId,
          organizationId: principal.orgId,
          action: 'account.accessed',
          targetType: 'account',
          targetId: principal.accountId,
          origin: originOf(request),
        });
        return { success: true as const, data };
      },
    );

    routes.put(
      '/api/v1/me',
      {
        bodyLimit: ACCOUNT_BODY_LIMITS.profile,
        schema: {
          tags: ['account'],
          operationId: 'updateMyProfile',
          summary: 'Update my profile',
          description:
            "Patch the authenticated user's profile. Omitted fields are left untouched. `model_config` and `capabilities` apply to service accounts only.",
          body: z.object({
            display_name: z.string().trim().min(1, { error: 'must not be empty' }).max(200).optional(),
            bio: z.string().max(5000).optional(),
            timezone: z
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
              )
              .optional(),
            language: z
              .string()
              .regex(/^[a-z]{2}$/, { error: 'must be an ISO 639-1 code' })
              .optional(),
            model_config: z.string().max(65_536).optional(),
            capabilities: z.array(permissionString).max(200).optional(),
          }),
          response: { 200: ok(profile), ...errorResponses },
        },
      },
      async (request) => ({
        success: true as const,
        data: await updateProfile(deps.repositories, principalOf(request), request.body, originOf(request)),
      }),
    );

    routes.post(
      '/api/v1/me/password',
      {
        config: { rateLimit: 'login' },
        schema: {
          tags: ['account'],
          operationId: 'changePassword',
          summary: 'Change password',
          description:
            "Change the authenticated user's password. Verifies the current password, then revokes every active session **except** the one making this request (so the user isn't logged out of the tab they're sitting in). Service accounts cannot call this — they have no password. **Rate limit:** 5 / minute / IP.",
          body: z.object({
            current_password: z.string({ error: 'is required' }).min(1, { error: 'is required' }).max(1024),
            new_password: z.string({ error: 'is required' }).min(1, { error: 'is required' }).max(1024),
          }),
          response: { 200: ok(z.object({ success: z.literal(true) })), ...errorResponses },
        },
      },
      async (request) => {
        await auth.changePassword(deps, requireHuman(request), request.body, originOf(request));
        return { success: true as const, data: { success: true as const } };
      },
    );

    for (const base of ['/api/v1/me/sessions', '/api/v1/sessions']) {
      const legacy = base === '/api/v1/sessions';
      routes.get(
        base,
        {
          schema: {
            tags: ['account'],
            operationId: legacy ? 'listMySessionsLegacy' : 'listMySessions',
            summary: legacy ? 'List my sessions (legacy path)' : 'List my sessions',
            description:
              'List every active session for the authenticated user. The session backing the current request is flagged with `is_current: true`. Also available at `/api/v1/sessions` (legacy path).',
            deprecated: legacy,
            querystring: z.object(pageQuery),
            response: { 200: ok(sessionsList), ...errorResponses },
          },
        },
        async (request) => {
          const principal = requireHuman(request);
          requirePermission(principal, 'read:sessions');
          const all = await auth.listSessions(deps, principal.accountId);
          const { page: pageNumber, per_page: perPage } = request.query;
          const slice = all.slice((pageNumber - 1) * perPage, pageNumber * perPage);
          const paged = page(slice, all.length, pageNumber, perPage);
          return {
            success: true as const,
            data: {
              sessions: paged.items.map((session) => ({
                session_id: session.id,
                ip_address: session.ip_address,
                user_agent: session.user_agent,
                device_fingerprint: session.device_fingerprint,
                created_at: epoch(session.created_at),
                last_used_at: epoch(session.last_used_at),
                expires_at: epoch(session.expires_at),
                is_current: session.id === principal.sessionId,
              })),
              total: paged.total,
              page: paged.page,
              per_page: paged.per_page,
              total_pages: paged.total_pages,
            },
          };
        },
      );

      routes.delete(
        `${base}/:session_id`,
        {
          schema: {
            tags: ['account'],
            operationId: legacy ? 'revokeASessionLegacy' : 'revokeASession',
            summary: legacy ? 'Revoke a session (legacy path)' : 'Revoke a session',
            description:
              'Revoke a specific session by id. The user can revoke any of their own sessions, including the current one (which terminates the calling session). Also available at `/api/v1/sessions/{session_id}`.',
            deprecated: legacy,
            params: z.object({ session_id: z.uuid({ error: 'must be a UUID' }) }),
            response: { 200: okNull, ...errorResponses },
          },
        },
        async (request) => {
          await auth.revokeOwnSession(
            deps,
            requireHuman(request),
            request.params.session_id,
            originOf(request),
          );
          return { success: true as const, data: null };
        },
      );
    }

    routes.get(
      '/api/v1/me/activities',
      {
        schema: {
          tags: ['account'],
          operationId: 'myActivityFeed',
          summary: 'My activity feed',
          description:
            "Audit-log entries where the authenticated user is the actor. Paged. The `actor_id` filter is forced server-side to the calling user, so callers cannot pivot to another user's feed. **Action vocabulary** (dot-notation, used in `action` filter and `action` field of returned items): - `account.profile_updated`, `account.accessed` - `auth.login`, `auth.login_failed`, `auth.logout`, `auth.token_refreshed`, `auth.password_changed`, `auth.password_reset` - `member.invited`, `member.removed` - `invitation.cancelled` - `service_account.archived`, `service_account.paused`, `service_account.resumed` - `api_key.created`, `api_key.revoked` New actions may be added without a docs revision; consumers should tolerate unknown values (display as-is, don't reject).",
          querystring: z.object({ ...activityQuery, org_id: z.uuid({ error: 'must be a UUID' }).optional() }),
          response: { 200: ok(paginated(activityItem)), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const query = request.query;
        const { items, total } = await activityFeed(deps.repositories.auditLogs, {
          actorId: principal.accountId,
          ...(query.org_id ? { organizationId: query.org_id } : {}),
          since: query.since,
          until: query.until,
          action: query.action,
          page: query.page,
          perPage: query.per_page,
        });
        return { success: true as const, data: page(items, total, query.page, query.per_page) };
      },
    );
  };
}
