import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** Liveness only: the seed says it does not check downstream dependencies. */
export async function healthRoutes(app: FastifyInstance) {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/health',
    {
      schema: {
        tags: ['health'],
        operationId: 'healthCheck',
        summary: 'Health Check',
        description:
          'Returns a static JSON payload indicating the service process is up. Does not check downstream dependencies (DB, storage).',
        response: { 200: z.object({ status: z.literal('healthy'), service: z.literal('media-service') }) },
      },
    },
    async () => ({ status: 'healthy' as const, service: 'media-service' as const }),
  );
}
