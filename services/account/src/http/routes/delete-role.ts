import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccountDeps } from '../../deps.js';
import * as roles from '../../organizations/roles.js';
import { protect } from '../hooks.js';
import { requireOrgPermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, okNull, originOf } from '../schemas.js';
import { orgRole } from './organization-params.js';

export function deleteRoleRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.delete(
      '/api/v1/organizations/:org_id/roles/:role_id',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'deleteRole',
          summary: 'Delete role',
          description:
            'Delete a custom role. Fails if any member is currently assigned to it — reassign them first. System roles cannot be deleted.',
          params: orgRole,
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const { org_id: org, role_id: roleId } = request.params;
        requireOrgPermission(principal, org, 'roles:delete');
        await roles.deleteRole(deps.repositories, principal, org, roleId, originOf(request));
        return { success: true as const, data: null };
      },
    );
  };
}
