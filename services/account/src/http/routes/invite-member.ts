import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as invitations from '../../organizations/invitations.js';
import { protect } from '../hooks.js';
import { requireOrgPermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, originOf } from '../schemas.js';
import { orgId } from './organization-params.js';

export function inviteMemberRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/organizations/:org_id/members',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'inviteMember',
          summary: 'Invite member',
          description:
            "Send an invitation to an email address. If a role is omitted the org's default-member role is assigned on accept. The recipient gets an email via the `email.requested` event.",
          params: orgId,
          body: z.object({
            email: z
              .string({ error: 'is required' })
              .trim()
              .max(254)
              .pipe(z.email({ error: 'invalid format' })),
            role_id: z.uuid({ error: 'must be a UUID' }).optional(),
          }),
          response: {
            201: ok(z.object({ invitation_id: z.string(), message: z.string() })),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'members:invite');
        const data = await invitations.inviteMember(
          deps,
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
