import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccountDeps } from '../../deps.js';
import * as members from '../../organizations/members.js';
import { protect } from '../hooks.js';
import { requireOrgPermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, okNull, originOf } from '../schemas.js';
import { orgMember } from './organization-params.js';

export function removeMemberRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
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
  };
}
