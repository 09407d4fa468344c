import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as invitations from '../../organizations/invitations.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, originOf } from '../schemas.js';

export function acceptInvitationRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.post(
      '/api/v1/invitations/accept',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'acceptInvitation',
          summary: 'Accept an invitation',
          description: 'The seed implies it; the link a member follows lives on the frontend.',
          'x-extension': true,
          body: z.object({ token: z.string({ error: 'is required' }).min(1).max(512) }),
          response: {
            200: ok(z.object({ organization_id: z.string(), role_id: z.string() })),
            ...errorResponses,
          },
        },
      },
      async (request) => ({
        success: true as const,
        data: await invitations.acceptInvitation(
          deps.repositories,
          principalOf(request),
          request.body.token,
          originOf(request),
        ),
      }),
    );
  };
}
