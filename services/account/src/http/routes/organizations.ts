import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { activityFeed } from '../../audit/activity-feed.js';
import type { AccountDeps } from '../../deps.js';
import { switchOrganization } from '../../identity/auth-service.js';
import * as orgs from '../../organizations/organizations.js';
import { setSessionCookies } from '../cookies.js';
import { protect } from '../hooks.js';
import { ACCOUNT_SECURITY } from '../openapi.js';
import { requireOrgPermission, requirePermission } from '../../identity/principal.js';
import { principalOf, requireHuman } from '../principal.js';
import {
  errorResponses,
  ok,
  okNull,
  originOf,
  page,
  pageQuery,
  paginated,
  sessionGrant,
} from '../schemas.js';
import { activityItem, activityQuery } from './activity-schemas.js';
import { orgId } from './organization-params.js';

const organization = z.object({
  org_id: z.string(),
  name: z.string(),
  slug: z.string(),
  description: z.string().nullable(),
  status: z.string(),
  owner_id: z.string(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
  member_count: z.number().int(),
});

const orgName = z
  .string({ error: 'is required' })
  .trim()
  .min(1, { error: 'is required' })
  .max(200, { error: 'must be at most 200 characters' });
const slug = z.string().trim().toLowerCase().max(100, { error: 'must be at most 100 characters' });

/** Unauthenticated: what an invitation link shows before sign-in. */
export function publicOrganizationRoutes(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.addHook('onRoute', documentSecurity(ACCOUNT_SECURITY.public));
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/organizations/:org_id/check',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'checkOrganizationPublic',
          summary: 'Check organization (public)',
          description:
            'Lightweight existence + display info for an organization. Used by frontends to validate org-scoped invitation links before login. Returns minimal data — no member or role info is leaked.',
          params: orgId,
          response: {
            200: ok(z.object({ org_id: z.string(), name: z.string(), created_at: z.number().int() })),
            ...errorResponses,
          },
        },
      },
      async (request) => ({
        success: true as const,
        data: await orgs.checkOrganization(deps.repositories, request.params.org_id),
      }),
    );
  };
}

/** The organization itself: list, create, read, update, archive, switch to it, its activity feed. */
export function organizationRoutes(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.get(
      '/api/v1/organizations',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'listMyOrganizations',
          summary: 'List my organizations',
          description:
            "List organizations the authenticated principal is a member of. Each entry includes the principal's role in that org.",
          querystring: z.object(pageQuery),
          response: { 200: ok(paginated(organization)), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requirePermission(principal, 'read:organizations');
        const { page: p, per_page: perPage } = request.query;
        const { items, total } = await orgs.listMyOrganizations(deps.repositories, principal, p, perPage);
        return { success: true as const, data: page(items, total, p, perPage) };
      },
    );

    routes.post(
      '/api/v1/organizations',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'createOrganization',
          summary: 'Create organization',
          description:
            'Create a new organization with the caller as owner. Slug is auto-derived from the name when omitted; if the slug collides a 4xx is returned and the caller should retry with an explicit slug.',
          body: z.object({
            name: orgName,
            slug: slug.optional(),
            description: z.string().max(2000).optional(),
          }),
          response: { 201: ok(organization), ...errorResponses },
        },
      },
      async (request, reply) => {
        const data = await orgs.createTeamOrganization(
          deps.repositories,
          principalOf(request),
          request.body,
          originOf(request),
        );
        return reply.status(201).send({ success: true as const, code: 2010, data });
      },
    );

    routes.get(
      '/api/v1/organizations/:org_id',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'getOrganization',
          summary: 'Get organization',
          description: 'Fetch a single organization by id. Caller must be a member.',
          params: orgId,
          response: { 200: ok(organization), ...errorResponses },
        },
      },
      async (request) => ({
        success: true as const,
        data: await orgs.getOrganization(deps.repositories, principalOf(request), request.params.org_id),
      }),
    );

    routes.put(
      '/api/v1/organizations/:org_id',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'updateOrganization',
          summary: 'Update organization',
          description: "Update the organization's name or slug.",
          params: orgId,
          body: z.object({
            name: orgName.optional(),
            slug: slug.optional(),
            description: z.string().max(2000).nullable().optional(),
          }),
          response: { 200: ok(organization), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'organizations:update');
        return {
          success: true as const,
          data: await orgs.updateOrganization(
            deps.repositories,
            principal,
            request.params.org_id,
            request.body,
            originOf(request),
          ),
        };
      },
    );

    routes.delete(
      '/api/v1/organizations/:org_id',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'deleteOrganization',
          summary: 'Delete organization',
          description:
            "Soft-delete (archive) an organization. Owner-only — protected by the owner role's `*` wildcard rather than a per-action permission. Members lose access on next token rotation; all sessions remain intact for other orgs the user belongs to.",
          params: orgId,
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, '*');
        await orgs.archiveOrganization(
          deps.repositories,
          principal,
          request.params.org_id,
          originOf(request),
        );
        return { success: true as const, data: null };
      },
    );

    routes.post(
      '/api/v1/organizations/:org_id/switch',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'switchActiveOrganization',
          summary: 'Switch active organization',
          description:
            'Issue a new token pair bound to a different organization. The existing session id is reused, so refresh continuity is preserved. The caller must already be a member of the target org.',
          params: orgId,
          response: { 200: ok(sessionGrant), ...errorResponses },
        },
      },
      async (request, reply) => {
        const grant = await switchOrganization(
          deps,
          requireHuman(request),
          request.params.org_id,
          originOf(request),
        );
        const csrf = setSessionCookies(reply, deps.config, grant.refresh_token);
        return { success: true as const, data: { ...grant, csrf_token: csrf } };
      },
    );

    routes.get(
      '/api/v1/organizations/:org_id/activities',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'organizationActivityFeed',
          summary: 'Organization activity feed',
          description:
            'Org-wide audit feed. Same shape as `/me/activities` but scoped to all actors within the organization. Requires `audit_logs:read` permission in the org.',
          params: orgId,
          querystring: z.object(activityQuery),
          response: { 200: ok(paginated(activityItem)), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'audit_logs:read');
        const query = request.query;
        const { items, total } = await activityFeed(deps.repositories.auditLogs, {
          organizationId: request.params.org_id,
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
