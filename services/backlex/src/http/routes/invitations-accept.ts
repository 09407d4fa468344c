import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses } from '../schemas.js';
import { userOf } from '../session.js';

export function acceptInvitationRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/invitations/accept',
      {
        schema: {
          tags: ['Account'],
          summary: 'Accept an organization invitation',
          operationId: 'acceptInvitation',
          description:
            'The signed-in email must be the invited one (403). Unknown or cancelled token → 404; expired → 409 INVITATION_EXPIRED; used → 409 INVITATION_USED.',
          body: z.object({ token: z.string().min(1).max(200) }),
          response: { ...errorResponses, 200: z.object({ orgSlug: z.string() }) },
        },
      },
      async (request) => deps.members.accept(userOf(request), request.body.token, request.ip),
    );
  };
}
