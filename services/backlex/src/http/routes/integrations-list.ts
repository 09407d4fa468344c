import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

/** The `Integration` object (fields fixed in the README); secret config fields masked. */
export const integrationSchema = z.object({
  id: z.string(),
  kind: z.enum(['slack', 'discord', 'datadog', 'github']),
  config: z.record(z.string(), z.string()),
  events: z.array(z.string()).nullable(),
  createdAt: z.string(),
  lastDeliveryAt: z.string().nullable(),
  lastError: z.string().nullable(),
});

export function listIntegrationsRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/integrations',
      {
        schema: {
          tags: ['Integrations'],
          summary: 'List connected integrations',
          operationId: 'listIntegrations',
          params: slugParams,
          response: { ...errorResponses, 200: z.object({ integrations: z.array(integrationSchema) }) },
        },
        config: { orgOperation: 'integrations.list' },
      },
      async (request) => ({ integrations: await deps.events.integrations.list(orgAccessOf(request).org.id) }),
    );
  };
}
