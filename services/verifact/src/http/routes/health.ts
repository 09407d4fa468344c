import { healthRoute, probeDatabase, type ServiceContext } from '@trustplane/kernel';
import { z } from 'zod';

// The seed has no health route; this one follows the platform convention (see the service README).
const healthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  service: z.literal('verifact'),
  version: z.string(),
  checks: z.object({ database: z.object({ status: z.enum(['ok', 'unreachable']), latencyMs: z.number() }) }),
});

export function healthRoutes(context: ServiceContext, version: string) {
  return healthRoute({
    url: '/health',
    schema: {
      tags: ['System'],
      operationId: 'getHealth',
      summary: 'Liveness and database check',
      security: [],
      'x-extension': true,
    },
    body: healthResponse,
    async check() {
      const database = await probeDatabase(context.database().pool);
      return {
        healthy: database.ok,
        body: {
          status: database.ok ? 'ok' : 'degraded',
          service: 'verifact',
          version,
          checks: {
            database: { status: database.ok ? 'ok' : 'unreachable', latencyMs: database.latencyMs },
          },
        },
      };
    },
  });
}
