import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as roles from '../../organizations/roles.js';
import { protect } from '../hooks.js';
import { requireOrgPermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, originOf } from '../schemas.js';
import { orgId, permissions } from './organization-params.js';
import { role, roleName } from './role-schemas.js';

export function createRoleRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/organizations/:org_id/roles',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'createRole',
          summary: 'Create role',
          description:
            'Create a custom role. Permissions are free-form strings (the permission service interprets them); see the Permissions section for the canonical names used by account-service itself.',
          params: orgId,
          body: z.object({
            name: roleName,
            description: z.string().max(2000).nullable().optional(),
            permissions,
          }),
          response: { 201: ok(role), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'roles:create');
        const data = await roles.createRole(
          deps.repositories,
          principal,
          request.params.org_id,
          request.body,
          originOf(request),
        );
        return reply.status(201).send({ success: true as const, code: 2010, data });
      },
    );
  };
}
