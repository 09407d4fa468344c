import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { auditHookFor } from '../../events/audit-hook.js';
import { errorResponses } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export const orgItemParams = z.object({ slug: z.string().min(1).max(100), id: z.string().min(1).max(100) });

export function deleteWebhookRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().delete(
      '/api/org/:slug/webhooks/:id',
      {
        schema: {
          tags: ['Integrations'],
          summary: 'Delete a webhook',
          operationId: 'deleteWebhook',
          description:
            'Admins. The managed webhook is removed only by `PATCH /org/{slug}` with `webhookUrl: null` (409 WEBHOOK_MANAGED).',
          params: orgItemParams,
          response: { ...errorResponses, 204: z.null().describe('Webhook deleted.') },
        },
        config: { orgOperation: 'webhooks.delete' },
      },
      async (request, reply) => {
        const access = orgAccessOf(request);
        await deps.events.webhooks.remove(access.org.id, request.params.id, auditHookFor(deps.audit, access));
        return reply.status(204).send(null);
      },
    );
  };
}
