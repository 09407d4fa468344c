import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as sa from '../../service-accounts/service-accounts.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, page, pageQuery, paginated } from '../schemas.js';
import { serviceAccount, uuid } from './service-account-schemas.js';

export function listServiceAccountsRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.get(
      '/api/v1/service-accounts',
      {
        schema: {
          tags: ['service-accounts'],
          operationId: 'listServiceAccounts',
          summary: 'List service accounts',
          description:
            'List service accounts in an organization. The org is supplied as a query parameter (not a path segment) because callers commonly enumerate across orgs they manage.',
          querystring: z.object({
            organization_id: uuid,
            status: z
              .enum(['active', 'paused', 'archived'], { error: 'must be active, paused or archived' })
              .optional(),
            ...pageQuery,
          }),
          response: { 200: ok(paginated(serviceAccount)), ...errorResponses },
        },
      },
      async (request) => {
        const query = request.query;
        const { items, total } = await sa.listServiceAccounts(deps.repositories, principalOf(request), {
          organization_id: query.organization_id,
          status: query.status,
          page: query.page,
          perPage: query.per_page,
        });
        return { success: true as const, data: page(items, total, query.page, query.per_page) };
      },
    );
  };
}
