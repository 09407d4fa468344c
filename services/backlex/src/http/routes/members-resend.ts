import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, okSchema } from '../schemas.js';
import { orgAccessOf } from '../session.js';
import { memberIdParams } from './members-update.js';

export function resendInvitationRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/members/:id/resend',
      {
        schema: {
          tags: ['Organization'],
          summary: 'Resend a pending invitation',
          operationId: 'resendInvitation',
          description:
            'Admins. Mails a new link; the previous token stops working; once a minute per invitation (429). A joined member is 409 NOT_PENDING.',
          params: memberIdParams,
          response: { ...errorResponses, 200: okSchema },
        },
        config: { orgOperation: 'members.resend' },
      },
      async (request) => {
        await deps.members.resend(orgAccessOf(request), request.params.id);
        return { ok: true };
      },
    );
  };
}
