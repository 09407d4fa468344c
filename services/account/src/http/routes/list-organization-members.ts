import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as members from '../../organizations/members.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, page, pageQuery, paginated } from '../schemas.js';
import { orgId } from './organization-params.js';

const member = z.object({
  account_id: z.string(),
  email: z.string(),
  display_name: z.string(),
  role: z.string(),
  role_id: z.string(),
  permissions: z.array(z.string()),
  joined_at: z.number().int(),
});

export function listOrganizationMembersRoute(deps: AccountDeps) {
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
  };
}
