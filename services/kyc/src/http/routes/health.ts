import { type HealthReport, healthRoute, probeDatabase, type ServiceContext } from '@trustplane/kernel';
import { z } from 'zod';
import { errorResponses } from '../schemas.js';

const healthCheck = z.object({
  status: z.enum(['healthy', 'unhealthy', 'skipped']),
  code: z.enum([
    'HEALTH_CHECK_API',
    'HEALTH_CHECK_DB_HEALTHY',
    'HEALTH_CHECK_DB_SKIPPED',
    'HEALTH_CHECK_DB_UNHEALTHY',
  ]),
  latencyMs: z.number().optional(),
  message: z.string().optional(),
});

export const healthResponse = z.object({
  status: z.enum(['healthy', 'degraded', 'unhealthy']),
  service: z.literal('kyc-verification-service'),
  version: z.string(),
  timestamp: z.string(),
  responseTimeMs: z.number(),
  checks: z.object({ api: healthCheck, database: healthCheck }),
  runtime: z.object({ node: z.string(), env: z.string() }),
});

export function healthRoutes(context: ServiceContext, version: string) {
  return healthRoute({
    url: '/api/health',
    schema: { tags: ['System'], operationId: 'health', summary: 'Health check', security: [] },
    body: healthResponse,
    responses: errorResponses(500),
    async check(): Promise<HealthReport<z.infer<typeof healthResponse>>> {
      const started = performance.now();
      const database = await probeDatabase(context.database().pool);
      const { pool } = database;
      // Every pool client busy is load, not an outage: still ready (200), `degraded`, and said so.
      const busy = database.ok && pool.busy;
      return {
        healthy: database.ok,
        body: {
          status: !database.ok ? 'unhealthy' : busy ? 'degraded' : 'healthy',
          service: 'kyc-verification-service',
          version,
          timestamp: new Date().toISOString(),
          responseTimeMs: Math.round((performance.now() - started) * 100) / 100,
          checks: {
            api: { status: 'healthy', code: 'HEALTH_CHECK_API' },
            database: database.ok
              ? {
                  status: 'healthy',
                  code: 'HEALTH_CHECK_DB_HEALTHY',
                  latencyMs: database.latencyMs,
                  ...(busy
                    ? {
                        message: `Connection pool busy: ${pool.total - pool.idle} of ${pool.max} connections in use, ${pool.waiting} waiting`,
                      }
                    : {}),
                }
              : {
                  status: 'unhealthy',
                  code: 'HEALTH_CHECK_DB_UNHEALTHY',
                  latencyMs: database.latencyMs,
                  message: 'Database did not answer',
                },
          },
          runtime: { node: process.version, env: context.env.NODE_ENV ?? 'development' },
        },
      };
    },
  });
}
