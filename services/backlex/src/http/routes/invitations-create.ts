import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function createInvitationRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/invitations',
      {
        schema: {
          tags: ['Organization'],
          summary: 'Invite a member',
          operationId: 'createInvitation',
          description:
            'Admins. Mails a single-use link (`?token=`, 7 days). An address that is a member or already invited is 409. 30 an hour per org.',
          params: slugParams,
          body: z.object({ email: z.email().max(254), role: z.enum(['admin', 'developer', 'viewer']) }),
          response: {
            ...errorResponses,
            201: z.object({ invite: z.object({ id: z.string(), email: z.string(), role: z.string() }) }),
          },
        },
        config: { orgOperation: 'invitations.create' },
      },
      async (request, reply) => {
        const invite = await deps.members.invite(orgAccessOf(request), request.body);
        return reply.status(201).send({ invite });
      },
    );
  };
}
