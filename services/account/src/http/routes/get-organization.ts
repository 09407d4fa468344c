import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccountDeps } from '../../deps.js';
import * as orgs from '../../organizations/organizations.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok } from '../schemas.js';
import { orgId } from './organization-params.js';
import { organization } from './organization-schemas.js';

export function getOrganizationRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
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
  };
}
