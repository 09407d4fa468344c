import { databaseHealthRoute, poolFiguresSchema, type ServiceContext } from '@trustplane/kernel';
import { z } from 'zod';

// The seed has no health route; `/api/health` follows the platform convention (see the service README).
const healthResponse = z.object({
  ok: z.boolean(),
  version: z.string(),
  database: z.object({ ok: z.boolean(), latencyMs: z.number(), pool: poolFiguresSchema }),
});

export function healthRoutes(context: ServiceContext, version: string) {
  return databaseHealthRoute({
    url: '/api/health',
    body: healthResponse,
    pool: () => context.database().pool,
    render: ({ ok, latencyMs, pool }) => ({ ok, version, database: { ok, latencyMs, pool } }),
  });
}
