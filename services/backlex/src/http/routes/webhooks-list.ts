import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

/** The `Webhook` object (fields fixed in the README). `secret` only in the creating response. */
export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  managed: z.boolean(),
  createdAt: z.string(),
  secret: z.string().optional(),
});

export function listWebhooksRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/webhooks',
      {
        schema: {
          tags: ['Integrations'],
          summary: 'List webhooks',
          operationId: 'listWebhooks',
          description:
            'Every webhook of the org, the managed one (`Org.webhookUrl`) with `managed: true`; secrets are never listed.',
          params: slugParams,
          response: { ...errorResponses, 200: z.object({ webhooks: z.array(webhookSchema) }) },
        },
        config: { orgOperation: 'webhooks.list' },
      },
      async (request) => ({ webhooks: await deps.events.webhooks.list(orgAccessOf(request).org.id) }),
    );
  };
}
