import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as orgs from '../../organizations/organizations.js';
import { protect } from '../hooks.js';
import { requireOrgPermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, originOf } from '../schemas.js';
import { orgId } from './organization-params.js';
import { orgName, organization, slug } from './organization-schemas.js';

export function updateOrganizationRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.put(
      '/api/v1/organizations/:org_id',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'updateOrganization',
          summary: 'Update organization',
          description: "Update the organization's name or slug.",
          params: orgId,
          body: z.object({
            name: orgName.optional(),
            slug: slug.optional(),
            description: z.string().max(2000).nullable().optional(),
          }),
          response: { 200: ok(organization), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'organizations:update');
        return {
          success: true as const,
          data: await orgs.updateOrganization(
            deps.repositories,
            principal,
            request.params.org_id,
            request.body,
            originOf(request),
          ),
        };
      },
    );
  };
}
