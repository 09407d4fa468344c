import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

/** The `WebhookDelivery` object (fields fixed in the README): one per event and webhook, an entry per attempt. */
const deliverySchema = z.object({
  id: z.string(),
  webhookId: z.string().nullable(),
  eventId: z.string().nullable(),
  event: z.string(),
  url: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
  attemptLog: z.array(
    z.object({
      attempt: z.number().int(),
      statusCode: z.number().int().nullable(),
      error: z.string().nullable(),
      durationMs: z.number(),
      createdAt: z.string(),
    }),
  ),
});

export function listWebhookDeliveriesRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/webhook-deliveries',
      {
        schema: {
          tags: ['Integrations'],
          summary: 'Recent outbound webhook deliveries',
          operationId: 'listWebhookDeliveries',
          description:
            'The newest 100 deliveries of the org, or of one webhook (`webhookId`; another org’s id is 404).',
          params: slugParams,
          querystring: z.object({ webhookId: z.string().min(1).max(100).optional() }),
          response: { ...errorResponses, 200: z.object({ deliveries: z.array(deliverySchema) }) },
        },
        config: { orgOperation: 'webhookDeliveries.list' },
      },
      async (request) => ({
        deliveries: await deps.events.webhooks.deliveries(
          orgAccessOf(request).org.id,
          request.query.webhookId,
        ),
      }),
    );
  };
}
