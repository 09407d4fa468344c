import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as members from '../../organizations/members.js';
import { protect } from '../hooks.js';
import { requireOrgPermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, okNull, originOf, page, pageQuery, paginated } from '../schemas.js';
import { orgId, orgMember } from './organization-params.js';

const member = z.object({
  account_id: z.string(),
  email: z.string(),
  display_name: z.string(),
  role: z.string(),
  role_id: z.string(),
  permissions: z.array(z.string()),
  joined_at: z.number().int(),
});

/** An organization's members: list, remove, change a role, leave. */
export function memberRoutes(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();

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
        const { items, total } = await members.listMembers(
          deps.repositories,
          principalOf(request),
          request.params.org_id,
          p,
          perPage,
        );
        return { success: true as const, data: page(items, total, p, perPage) };
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
        await members.removeMember(
          deps.repositories,
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
        await members.updateMemberRole(
          deps.repositories,
          principal,
          org,
          account,
          request.body.role_id,
          originOf(request),
        );
        return { success: true as const, data: null };
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
        await members.leaveOrganization(
          deps.repositories,
          principalOf(request),
          request.params.org_id,
          originOf(request),
        );
        return { success: true as const, data: null };
      },
    );
  };
}
