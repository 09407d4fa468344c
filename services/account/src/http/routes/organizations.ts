import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { activityFeed } from '../../audit/activity-feed.js';
import type { AccountDeps } from '../../deps.js';
import { switchOrganization } from '../../identity/auth-service.js';
import * as orgs from '../../organizations/organization-service.js';
import { setSessionCookies } from '../cookies.js';
import { protect } from '../hooks.js';
import { principalOf, requireHuman, requireOrgPermission, requirePermission } from '../principal.js';
import {
  errorResponses,
  ok,
  okNull,
  originOf,
  page,
  pageQuery,
  paginated,
  permissionString,
  sessionGrant,
} from '../schemas.js';
import { activityItem, activityQuery } from './activity-schemas.js';

const orgId = z.object({ org_id: z.uuid({ error: 'must be a UUID' }) });
const orgMember = orgId.extend({ account_id: z.uuid({ error: 'must be a UUID' }) });
const orgRole = orgId.extend({ role_id: z.uuid({ error: 'must be a UUID' }) });

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

const role = z.object({
  role_id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  permissions: z.array(z.string()),
  is_system: z.boolean(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});

const member = z.object({
  account_id: z.string(),
  email: z.string(),
  display_name: z.string(),
  role: z.string(),
  role_id: z.string(),
  permissions: z.array(z.string()),
  joined_at: z.number().int(),
});

const orgName = z
  .string({ error: 'is required' })
  .trim()
  .min(1, { error: 'is required' })
  .max(200, { error: 'must be at most 200 characters' });
const slug = z.string().trim().toLowerCase().max(100, { error: 'must be at most 100 characters' });
const roleName = z
  .string({ error: 'is required' })
  .trim()
  .min(1, { error: 'is required' })
  .max(100, { error: 'must be at most 100 characters' });
const permissions = z.array(permissionString).max(200, { error: 'must list at most 200 permissions' });

export function publicOrganizationRoutes(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/organizations/:org_id/check',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Check organization (public, minimal data)',
          params: orgId,
          response: {
            200: ok(z.object({ org_id: z.string(), name: z.string(), created_at: z.number().int() })),
            ...errorResponses,
          },
        },
      },
      async (request) => ({
        success: true as const,
        data: await orgs.checkOrganization(deps.db, request.params.org_id),
      }),
    );
  };
}

export function organizationRoutes(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.get(
      '/api/v1/organizations',
      {
        schema: {
          tags: ['organizations'],
          summary: 'List my organizations',
          querystring: z.object(pageQuery),
          response: { 200: ok(paginated(organization)), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requirePermission(principal, 'read:organizations');
        const { page: p, per_page: perPage } = request.query;
        const { items, total } = await orgs.listMyOrganizations(deps.db, principal, p, perPage);
        return { success: true as const, data: page(items, total, p, perPage) };
      },
    );

    routes.post(
      '/api/v1/organizations',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Create organization (caller becomes owner)',
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
          deps.db,
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
          summary: 'Get organization (members only)',
          params: orgId,
          response: { 200: ok(organization), ...errorResponses },
        },
      },
      async (request) => ({
        success: true as const,
        data: await orgs.getOrganization(deps.db, principalOf(request), request.params.org_id),
      }),
    );

    routes.put(
      '/api/v1/organizations/:org_id',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Update organization',
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
            deps.db,
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
          summary: 'Soft-delete organization (owner only, `*`)',
          params: orgId,
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, '*');
        await orgs.archiveOrganization(deps.db, principal, request.params.org_id, originOf(request));
        return { success: true as const, data: null };
      },
    );

    routes.post(
      '/api/v1/organizations/:org_id/switch',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Switch active organization (same session, new pair)',
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

    routes.post(
      '/api/v1/organizations/:org_id/leave',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Leave organization (owners cannot)',
          params: orgId,
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        await orgs.leaveOrganization(deps.db, principalOf(request), request.params.org_id, originOf(request));
        return { success: true as const, data: null };
      },
    );

    routes.get(
      '/api/v1/organizations/:org_id/members',
      {
        schema: {
          tags: ['organizations'],
          summary: 'List members',
          params: orgId,
          querystring: z.object(pageQuery),
          response: { 200: ok(paginated(member)), ...errorResponses },
        },
      },
      async (request) => {
        const { page: p, per_page: perPage } = request.query;
        const { items, total } = await orgs.listMembers(
          deps.db,
          principalOf(request),
          request.params.org_id,
          p,
          perPage,
        );
        return { success: true as const, data: page(items, total, p, perPage) };
      },
    );

    routes.post(
      '/api/v1/organizations/:org_id/members',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Invite member (email.requested)',
          params: orgId,
          body: z.object({
            email: z
              .string({ error: 'is required' })
              .trim()
              .max(254)
              .pipe(z.email({ error: 'invalid format' })),
            role_id: z.uuid({ error: 'must be a UUID' }).optional(),
          }),
          response: {
            201: ok(z.object({ invitation_id: z.string(), message: z.string() })),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'members:invite');
        const data = await orgs.inviteMember(
          deps,
          principal,
          request.params.org_id,
          request.body,
          originOf(request),
        );
        return reply.status(201).send({ success: true as const, code: 2010, data });
      },
    );

    routes.delete(
      '/api/v1/organizations/:org_id/members/:account_id',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Remove member (not the owner)',
          params: orgMember,
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'members:remove');
        await orgs.removeMember(
          deps.db,
          principal,
          request.params.org_id,
          request.params.account_id,
          originOf(request),
        );
        return { success: true as const, data: null };
      },
    );

    routes.put(
      '/api/v1/organizations/:org_id/members/:account_id/role',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Update member role',
          params: orgMember,
          body: z.object({ role_id: z.uuid({ error: 'must be a UUID' }) }),
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const { org_id: org, account_id: account } = request.params;
        requireOrgPermission(principal, org, 'members:update_role');
        await orgs.updateMemberRole(
          deps.db,
          principal,
          org,
          account,
          request.body.role_id,
          originOf(request),
        );
        return { success: true as const, data: null };
      },
    );

    routes.get(
      '/api/v1/organizations/:org_id/roles',
      {
        schema: {
          tags: ['organizations'],
          summary: 'List roles (system + custom)',
          params: orgId,
          querystring: z.object(pageQuery),
          response: { 200: ok(paginated(role)), ...errorResponses },
        },
      },
      async (request) => {
        const { page: p, per_page: perPage } = request.query;
        const { items, total } = await orgs.listRoles(
          deps.db,
          principalOf(request),
          request.params.org_id,
          p,
          perPage,
        );
        return { success: true as const, data: page(items, total, p, perPage) };
      },
    );

    routes.post(
      '/api/v1/organizations/:org_id/roles',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Create custom role',
          params: orgId,
          body: z.object({
            name: roleName,
            description: z.string().max(2000).nullable().optional(),
            permissions,
          }),
          response: { 201: ok(role), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'roles:create');
        const data = await orgs.createRole(
          deps.db,
          principal,
          request.params.org_id,
          request.body,
          originOf(request),
        );
        return reply.status(201).send({ success: true as const, code: 2010, data });
      },
    );

    routes.get(
      '/api/v1/organizations/:org_id/roles/:role_id',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Get role',
          params: orgRole,
          response: { 200: ok(role), ...errorResponses },
        },
      },
      async (request) => ({
        success: true as const,
        data: await orgs.getRole(
          deps.db,
          principalOf(request),
          request.params.org_id,
          request.params.role_id,
        ),
      }),
    );

    routes.put(
      '/api/v1/organizations/:org_id/roles/:role_id',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Update role (system roles are read-only)',
          params: orgRole,
          body: z.object({
            name: roleName.optional(),
            description: z.string().max(2000).nullable().optional(),
            permissions: permissions.optional(),
          }),
          response: { 200: ok(role), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const { org_id: org, role_id: roleId } = request.params;
        requireOrgPermission(principal, org, 'roles:update');
        return {
          success: true as const,
          data: await orgs.updateRole(deps.db, principal, org, roleId, request.body, originOf(request)),
        };
      },
    );

    routes.delete(
      '/api/v1/organizations/:org_id/roles/:role_id',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Delete custom role (fails while assigned)',
          params: orgRole,
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const { org_id: org, role_id: roleId } = request.params;
        requireOrgPermission(principal, org, 'roles:delete');
        await orgs.deleteRole(deps.db, principal, org, roleId, originOf(request));
        return { success: true as const, data: null };
      },
    );

    routes.get(
      '/api/v1/organizations/:org_id/activities',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Organization activity feed (audit_logs:read)',
          params: orgId,
          querystring: z.object(activityQuery),
          response: { 200: ok(paginated(activityItem)), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'audit_logs:read');
        const query = request.query;
        const { items, total } = await activityFeed(deps.db, {
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

    routes.get(
      '/api/v1/organizations/:org_id/invitations',
      {
        schema: {
          tags: ['organizations'],
          summary: 'List pending invitations (extension; members:invite)',
          params: orgId,
          querystring: z.object(pageQuery),
          response: {
            200: ok(
              paginated(
                z.object({
                  invitation_id: z.string(),
                  email: z.string(),
                  role_id: z.string().nullable(),
                  invited_by: z.string().nullable(),
                  expires_at: z.number().int(),
                  created_at: z.number().int(),
                  is_expired: z.boolean(),
                }),
              ),
            ),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'members:invite');
        const { page: p, per_page: perPage } = request.query;
        const { items, total } = await orgs.listInvitations(deps.db, request.params.org_id, p, perPage);
        return { success: true as const, data: page(items, total, p, perPage) };
      },
    );

    routes.delete(
      '/api/v1/organizations/:org_id/invitations/:invitation_id',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Cancel a pending invitation (extension; invitations:cancel)',
          params: orgId.extend({ invitation_id: z.uuid({ error: 'must be a UUID' }) }),
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'invitations:cancel');
        await orgs.cancelInvitation(
          deps.db,
          principal,
          request.params.org_id,
          request.params.invitation_id,
          originOf(request),
        );
        return { success: true as const, data: null };
      },
    );

    routes.post(
      '/api/v1/invitations/accept',
      {
        schema: {
          tags: ['organizations'],
          summary: 'Accept an invitation (extension: the seed implies it, the link lives on the frontend)',
          body: z.object({ token: z.string({ error: 'is required' }).min(1).max(512) }),
          response: {
            200: ok(z.object({ organization_id: z.string(), role_id: z.string() })),
            ...errorResponses,
          },
        },
      },
      async (request) => ({
        success: true as const,
        data: await orgs.acceptInvitation(deps, principalOf(request), request.body.token, originOf(request)),
      }),
    );
  };
}
