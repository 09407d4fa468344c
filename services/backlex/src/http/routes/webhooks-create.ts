import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { auditHookFor } from '../../events/audit-hook.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';
import { webhookSchema } from './webhooks-list.js';

const webhookInput = z.object({
  url: z.string().min(1).max(2048),
  events: z.array(z.string().min(1).max(100)).min(1).max(100),
});

export function createWebhookRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/webhooks',
      {
        schema: {
          tags: ['Integrations'],
          summary: 'Create a webhook',
          operationId: 'createWebhook',
          description:
            'Admins. `events`: catalogue names, `<namespace>.*` or `*` (else 422). The URL must be http(s) and not a literal private address (422); a host name is resolved at delivery. The signing secret is in this response only.',
          params: slugParams,
          body: webhookInput,
          response: { ...errorResponses, 201: z.object({ webhook: webhookSchema }) },
        },
        config: { orgOperation: 'webhooks.create' },
      },
      async (request, reply) => {
        const access = orgAccessOf(request);
        const webhook = await deps.events.webhooks.create(
          access.org.id,
          request.body,
          auditHookFor(deps.audit, access),
        );
        return reply.status(201).send({ webhook });
      },
    );
  };
}
