import { databaseHealthRoute, poolFiguresSchema } from '@trustplane/kernel';
import { z } from 'zod';
import type { BiometryDeps } from '../deps.js';

const healthResponse = z.object({
  status: z.enum(['healthy', 'degraded', 'unhealthy']),
  service: z.literal('biometry'),
  version: z.string(),
  database: z.object({
    status: z.enum(['ok', 'unreachable']),
    latency_ms: z.number(),
    pool: poolFiguresSchema,
  }),
  workers: z.object({ active: z.number().int(), queue_depth: z.number().int() }).nullable(),
});

export function healthRoutes(deps: BiometryDeps) {
  return databaseHealthRoute({
    url: '/health',
    schema: {
      summary: 'Health',
      description: 'Health check endpoint: database, live workers (from heartbeats) and queue depth.',
      operationId: 'health_health_get',
      security: [],
    },
    body: healthResponse,
    pool: () => deps.context.database().pool,
    async render(database) {
      // The worker figures are read through the pool: with every client busy they would wait
      // behind the requests, so the probe answers without them (null) rather than late.
      const workers =
        database.ok && !database.pool.busy
          ? { active: await deps.workers.countActive(), queue_depth: await deps.jobs.queueDepth() }
          : null;
      // No live worker while jobs wait: the API answers but nothing progresses. A busy pool: it
      // answers, later.
      const degraded =
        database.pool.busy || (workers !== null && workers.active === 0 && workers.queue_depth > 0);
      return {
        status: !database.ok ? 'unhealthy' : degraded ? 'degraded' : 'healthy',
        service: 'biometry',
        version: deps.version,
        database: {
          status: database.ok ? 'ok' : 'unreachable',
          latency_ms: database.latencyMs,
          pool: database.pool,
        },
        workers,
      };
    },
  });
}
