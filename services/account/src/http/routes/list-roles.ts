import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as roles from '../../organizations/roles.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, page, pageQuery, paginated } from '../schemas.js';
import { orgId } from './organization-params.js';
import { role } from './role-schemas.js';

export function listRolesRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
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
        const { items, total } = await roles.listRoles(
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
