import { databaseHealthRoute, poolFiguresSchema, type ServiceContext } from '@trustplane/kernel';
import { z } from 'zod';

// The seed has no health route; this one follows the platform convention (see the service README).
const healthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  service: z.literal('verifact'),
  version: z.string(),
  checks: z.object({
    database: z.object({
      status: z.enum(['ok', 'unreachable']),
      latencyMs: z.number(),
      pool: poolFiguresSchema,
    }),
  }),
});

export function healthRoutes(context: ServiceContext, version: string) {
  return databaseHealthRoute({
    url: '/health',
    body: healthResponse,
    pool: () => context.database().pool,
    render: ({ ok, latencyMs, pool }) => ({
      status: ok ? 'ok' : 'degraded',
      service: 'verifact',
      version,
      checks: { database: { status: ok ? 'ok' : 'unreachable', latencyMs, pool } },
    }),
  });
}
