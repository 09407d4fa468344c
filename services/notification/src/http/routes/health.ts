import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { NotificationRuntime } from '../../service.js';

const healthResponse = z.object({ status: z.enum(['ok', 'degraded']), uptime_seconds: z.number().int() });

/** 200 only while the service's dependencies (PostgreSQL, RabbitMQ with AMQP_URL) answer (the seed: "service hidup dan dependencies reachable"). */
export function healthRoutes(runtime: NotificationRuntime) {
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
        const components = await runtime.health();
        const healthy = components.every((component) => component.healthy);
        return reply.status(healthy ? 200 : 503).send({
          status: healthy ? 'ok' : 'degraded',
          uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
        });
      },
    );
  };
}
