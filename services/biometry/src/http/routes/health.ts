import { probeDatabase, type ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

const healthResponse = z.object({
  status: z.enum(['healthy', 'unhealthy']),
  service: z.literal('biometry'),
  version: z.string(),
  database: z.object({ status: z.enum(['ok', 'unreachable']), latency_ms: z.number() }),
});

export function healthRoutes(context: ServiceContext, version: string) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/health',
      {
        schema: {
          summary: 'Health',
          description: 'Health check endpoint.',
          operationId: 'health_health_get',
          response: { 200: healthResponse, 503: healthResponse },
        },
      },
      async (_request, reply) => {
        const database = await probeDatabase(context.database().pool);
        return reply.status(database.ok ? 200 : 503).send({
          status: database.ok ? 'healthy' : 'unhealthy',
          service: 'biometry',
          version,
          database: { status: database.ok ? 'ok' : 'unreachable', latency_ms: database.latencyMs },
        });
      },
    );
  };
}
