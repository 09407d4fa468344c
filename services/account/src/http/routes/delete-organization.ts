import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AccountDeps } from '../../deps.js';
import * as orgs from '../../organizations/organizations.js';
import { protect } from '../hooks.js';
import { requireOrgPermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, okNull, originOf } from '../schemas.js';
import { orgId } from './organization-params.js';

export function deleteOrganizationRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.delete(
      '/api/v1/organizations/:org_id',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'deleteOrganization',
          summary: 'Delete organization',
          description:
            "Soft-delete (archive) an organization. Owner-only — protected by the owner role's `*` wildcard rather than a per-action permission. Members lose access on next token rotation; all sessions remain intact for other orgs the user belongs to.",
          params: orgId,
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, '*');
        await orgs.archiveOrganization(
          deps.repositories,
          principal,
          request.params.org_id,
          originOf(request),
        );
        return { success: true as const, data: null };
      },
    );
  };
}
