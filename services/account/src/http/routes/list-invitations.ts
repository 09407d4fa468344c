import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as invitations from '../../organizations/invitations.js';
import { protect } from '../hooks.js';
import { requireOrgPermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, page, pageQuery, paginated } from '../schemas.js';
import { orgId } from './organization-params.js';

export function listInvitationsRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.get(
      '/api/v1/organizations/:org_id/invitations',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'listInvitations',
          summary: 'List pending invitations',
          description: 'Requires `members:invite` in the organization.',
          'x-extension': true,
          params: orgId,
          querystring: z.object(pageQuery),
          response: {
            200: ok(
              paginated(
                z.object({
                  invitation_id: z.string(),
                  email: z.string(),
                  role_id: z.string().nullable(),
                  invited_by: z.string().nullable(),
                  expires_at: z.number().int(),
                  created_at: z.number().int(),
                  is_expired: z.boolean(),
                }),
              ),
            ),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'members:invite');
        const { page: p, per_page: perPage } = request.query;
        const { items, total } = await invitations.listInvitations(
          deps.repositories,
          request.params.org_id,
          p,
          perPage,
        );
        return { success: true as const, data: page(items, total, p, perPage) };
      },
    );
  };
}
