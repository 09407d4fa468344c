import { documentSecurity } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { activityFeed } from '../../audit/activity-feed.js';
import type { AccountDeps } from '../../deps.js';
import { switchOrganization } from '../../identity/auth-service.js';
import * as orgs from '../../organizations/organization-service.js';
import { setSessionCookies } from '../cookies.js';
import { protect } from '../hooks.js';
import { ACCOUNT_SECURITY } from '../openapi.js';
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
        const { items, total } = await orgs.listMyOrganizations(deps.db, principal, p, perPage);
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
          operationId: 'getOrganization',
          summary: 'Get organization',
          description: 'Fetch a single organization by id. Caller must be a member.',
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
        await orgs.archiveOrganization(deps.db, principal, request.params.org_id, originOf(request));
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

    routes.post(
      '/api/v1/organizations/:org_id/leave',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'leaveOrganization',
          summary: 'Leave organization',
          description:
            "Remove the caller's own membership. Owners cannot leave — transfer ownership first or delete the organization.",
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
          operationId: 'listOrganizationMembers',
          summary: 'List organization members',
          description: 'Paged member list with role + permissions.',
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
          operationId: 'inviteMember',
          summary: 'Invite member',
          description:
            "Send an invitation to an email address. If a role is omitted the org's default-member role is assigned on accept. The recipient gets an email via the `email.requested` event.",
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
          operationId: 'removeMember',
          summary: 'Remove member',
          description: 'Remove a member from the org. Cannot remove the owner.',
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
          operationId: 'updateMemberRole',
          summary: 'Update member role',
          description:
            'Reassign a member to a different role. New role takes effect on their next token rotation.',
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
          operationId: 'listRoles',
          summary: 'List roles',
          description: 'List roles defined in the org (system + custom).',
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
          operationId: 'createRole',
          summary: 'Create role',
          description:
            'Create a custom role. Permissions are free-form strings (the permission service interprets them); see the Permissions section for the canonical names used by account-service itself.',
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
          operationId: 'getRole',
          summary: 'Get role',
          description: 'Fetch a single role.',
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
          operationId: 'updateRole',
          summary: 'Update role',
          description: 'Patch a role. System roles (e.g. `owner`) are read-only.',
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
          operationId: 'deleteRole',
          summary: 'Delete role',
          description:
            'Delete a custom role. Fails if any member is currently assigned to it — reassign them first. System roles cannot be deleted.',
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
          operationId: 'listInvitations',
          summary: 'List pending invitations',
          description: 'Requires `members:invite` in the organization.',
          'x-extension': true,
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
          operationId: 'cancelInvitation',
          summary: 'Cancel a pending invitation',
          description: 'Requires `invitations:cancel` in the organization.',
          'x-extension': true,
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
          operationId: 'acceptInvitation',
          summary: 'Accept an invitation',
          description: 'The seed implies it; the link a member follows lives on the frontend.',
          'x-extension': true,
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
