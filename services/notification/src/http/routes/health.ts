import { healthRoute } from '@trustplane/kernel';
import { z } from 'zod';
import type { NotificationRuntime } from '../../service.js';

const healthResponse = z.object({ status: z.enum(['ok', 'degraded']), uptime_seconds: z.number().int() });

/** 200 only while the service's dependencies (PostgreSQL, RabbitMQ with AMQP_URL) answer (the seed: "service hidup dan dependencies reachable"). */
export function healthRoutes(runtime: NotificationRuntime) {
  const startedAt = Date.now();
  return healthRoute({
    url: '/health',
    schema: {
      tags: ['http'],
      operationId: 'healthCheck',
      summary: 'Health Check',
      description: 'Returns 200 OK when the service is up and its dependencies are reachable.',
    },
    body: healthResponse,
    async check() {
      const components = await runtime.health();
      const healthy = components.every((component) => component.healthy);
      return {
        healthy,
        body: {
          status: healthy ? 'ok' : 'degraded',
          uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
        },
      };
    },
  });
}
