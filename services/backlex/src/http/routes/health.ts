import { healthRoute, probeDatabase, type ServiceContext } from '@trustplane/kernel';
import { z } from 'zod';

// The seed has no health route; `/api/health` follows the platform convention (see the service README).
const healthResponse = z.object({
  ok: z.boolean(),
  version: z.string(),
  database: z.object({ ok: z.boolean(), latencyMs: z.number() }),
});

export function healthRoutes(context: ServiceContext, version: string) {
  return healthRoute({
    url: '/api/health',
    schema: {
      tags: ['System'],
      operationId: 'getHealth',
      summary: 'Liveness and database check',
      security: [],
      'x-extension': true,
    },
    body: healthResponse,
    async check() {
      const { ok, latencyMs } = await probeDatabase(context.database().pool);
      return { healthy: ok, body: { ok, version, database: { ok, latencyMs } } };
    },
  });
}
