import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccountDeps } from '../../deps.js';
import * as members from '../../organizations/members.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, okNull, originOf } from '../schemas.js';
import { orgId } from './organization-params.js';

export function leaveOrganizationRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
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
