import { probeDatabase, type ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

const dependency = z.object({ status: z.enum(['ok', 'down']), latency_ms: z.number() });

export function healthRoutes(context: ServiceContext, version: string) {
  const startedAt = Date.now();
  return async (app: FastifyInstance) => {
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.get(
      '/health',
      {
        schema: {
          tags: ['operations'],
          summary: 'Liveness probe',
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );
    const detailed = z.object({
      status: z.enum(['ok', 'degraded']),
      dependencies: z.record(z.string(), dependency),
      version: z.string(),
      uptime_seconds: z.number().int(),
    });
    routes.get(
      '/health/detailed',
      {
        schema: {
          tags: ['operations'],
          summary: 'Detailed health',
          response: { 200: detailed, 503: detailed },
        },
      },
      async (_request, reply) => {
        const postgres = await probeDatabase(context.database().pool);
        const dependencies = {
          postgres: { status: postgres.ok ? 'ok' : 'down', latency_ms: postgres.latencyMs },
        } as const;
        const healthy = Object.values(dependencies).every(
          (dependencyState) => dependencyState.status === 'ok',
        );
        return reply.status(healthy ? 200 : 503).send({
          status: healthy ? 'ok' : 'degraded',
          dependencies,
          version,
          uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
        });
      },
    );
  };
}
