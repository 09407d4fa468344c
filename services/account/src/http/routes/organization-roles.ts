import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as roles from '../../organizations/roles.js';
import { protect } from '../hooks.js';
import { requireOrgPermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, okNull, originOf, page, pageQuery, paginated } from '../schemas.js';
import { orgId, orgRole, permissions } from './organization-params.js';

const role = z.object({
  role_id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  permissions: z.array(z.string()),
  is_system: z.boolean(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});

const roleName = z
  .string({ error: 'is required' })
  .trim()
  .min(1, { error: 'is required' })
  .max(100, { error: 'must be at most 100 characters' });

/** An organization's roles: system and custom. */
export function roleRoutes(deps: AccountDeps) {
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
