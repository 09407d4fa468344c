import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as members from '../../organizations/members.js';
import { protect } from '../hooks.js';
import { requireOrgPermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, okNull, originOf } from '../schemas.js';
import { orgMember } from './organization-params.js';

export function updateMemberRoleRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
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
  };
}
