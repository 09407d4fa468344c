import { probeDatabase, type ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

// The seed has no health route; `/api/health` follows the platform convention (see the service README).
const healthResponse = z.object({
  ok: z.boolean(),
  version: z.string(),
  database: z.object({ ok: z.boolean(), latencyMs: z.number() }),
});

export function healthRoutes(context: ServiceContext, version: string) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/health',
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
        return reply
          .status(database.ok ? 200 : 503)
          .send({ ok: database.ok, version, database: { ok: database.ok, latencyMs: database.latencyMs } });
      },
    );
  };
}
