import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as roles from '../../organizations/roles.js';
import { protect } from '../hooks.js';
import { requireOrgPermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, originOf } from '../schemas.js';
import { orgRole, permissions } from './organization-params.js';
import { role, roleName } from './role-schemas.js';

export function updateRoleRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.put(
      '/api/v1/organizations/:org_id/roles/:role_id',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'updateRole',
          summary: 'Update role',
          description: 'Patch a role. System roles (e.g. `owner`) are read-only.',
          params: orgRole,
          body: z.object({
            name: roleName.optional(),
            description: z.string().max(2000).nullable().optional(),
            permissions: permissions.optional(),
          }),
          response: { 200: ok(role), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const { org_id: org, role_id: roleId } = request.params;
        requireOrgPermission(principal, org, 'roles:update');
        return {
          success: true as const,
          data: await roles.updateRole(
            deps.repositories,
            principal,
            org,
            roleId,
            request.body,
            originOf(request),
          ),
        };
      },
    );
  };
}
