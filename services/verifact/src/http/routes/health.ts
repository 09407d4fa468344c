import { probeDatabase, type ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

// The seed has no health route; this one follows the platform convention (see the service README).
const healthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  service: z.literal('verifact'),
  version: z.string(),
  checks: z.object({ database: z.object({ status: z.enum(['ok', 'unreachable']), latencyMs: z.number() }) }),
});

export function healthRoutes(context: ServiceContext, version: string) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/health',
      {
        schema: {
          tags: ['System'],
          operationId: 'getHealth',
          summary: 'Liveness and database check',
          security: [],
          'x-extension': true,
          response: { 200: healthResponse, 503: healthResponse },
        },
      },
      async (_request, reply) => {
        const database = await probeDatabase(context.database().pool);
        return reply.status(database.ok ? 200 : 503).send({
          status: database.ok ? 'ok' : 'degraded',
          service: 'verifact',
          version,
          checks: {
            database: { status: database.ok ? 'ok' : 'unreachable', latencyMs: database.latencyMs },
          },
        });
      },
    );
  };
}
