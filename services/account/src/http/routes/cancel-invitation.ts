import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as invitations from '../../organizations/invitations.js';
import { protect } from '../hooks.js';
import { requireOrgPermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, okNull, originOf } from '../schemas.js';
import { orgId } from './organization-params.js';

export function cancelInvitationRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.delete(
      '/api/v1/organizations/:org_id/invitations/:invitation_id',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'cancelInvitation',
          summary: 'Cancel a pending invitation',
          description: 'Requires `invitations:cancel` in the organization.',
          'x-extension': true,
          params: orgId.extend({ invitation_id: z.uuid({ error: 'must be a UUID' }) }),
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'invitations:cancel');
        await invitations.cancelInvitation(
          deps.repositories,
          principal,
          request.params.org_id,
          request.params.invitation_id,
          originOf(request),
        );
        return { success: true as const, data: null };
      },
    );
  };
}
