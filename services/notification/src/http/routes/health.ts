import { probeDatabase, type ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

const healthResponse = z.object({ status: z.enum(['ok', 'degraded']), uptime_seconds: z.number().int() });

/** 200 only while the service's dependencies answer (the seed: "service hidup dan dependencies reachable"). */
export function healthRoutes(context: ServiceContext) {
  const startedAt = Date.now();
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/health',
      {
        schema: {
          tags: ['http'],
          operationId: 'healthCheck',
          summary: 'Health Check',
          description: 'Returns 200 OK when the service is up and its dependencies are reachable.',
          response: { 200: healthResponse, 503: healthResponse },
        },
      },
      async (_request, reply) => {
        const database = await probeDatabase(context.database().pool);
        return reply.status(database.ok ? 200 : 503).send({
          status: database.ok ? 'ok' : 'degraded',
          uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
        });
      },
    );
  };
}
