import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';
import { memberIdParams } from './members-update.js';

export function removeMemberRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().delete(
      '/api/org/:slug/members/:id',
      {
        schema: {
          tags: ['Organization'],
          summary: 'Remove a member',
          operationId: 'removeMember',
          description:
            'Admins remove members (only an owner removes an owner); anyone may remove themselves (leave); the last owner stays (409 LAST_OWNER). The id of a pending invitation cancels it.',
          params: memberIdParams,
          response: { ...errorResponses, 204: z.null().describe('Member removed.') },
        },
        config: { orgOperation: 'members.remove' },
      },
      async (request, reply) => {
        await deps.members.remove(orgAccessOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
