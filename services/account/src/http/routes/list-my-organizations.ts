import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as orgs from '../../organizations/organizations.js';
import { protect } from '../hooks.js';
import { requirePermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, page, pageQuery, paginated } from '../schemas.js';
import { organization } from './organization-schemas.js';

export function listMyOrganizationsRoute(deps: AccountDeps) {
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
  };
}
