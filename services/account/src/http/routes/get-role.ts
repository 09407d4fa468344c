import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccountDeps } from '../../deps.js';
import * as roles from '../../organizations/roles.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok } from '../schemas.js';
import { orgRole } from './organization-params.js';
import { role } from './role-schemas.js';

export function getRoleRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
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
        data: await roles.getRole(
          deps.repositories,
          principalOf(request),
          request.params.org_id,
          request.params.role_id,
        ),
      }),
    );
  };
}
