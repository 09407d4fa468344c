import {
  healthRoute,
  livenessRoute,
  type ProbeResult,
  poolFiguresSchema,
  probe,
  probeAmqp,
  probeDatabase,
  type ServiceContext,
} from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';

const dependency = z.object({
  status: z.enum(['ok', 'down', 'not_configured']),
  latency_ms: z.number().nullable(),
  error: z.string().optional(),
  /** PostgreSQL only: the pool's figures (a busy pool is load, still `ok`). */
  pool: poolFiguresSchema.optional(),
});

type DependencyState = z.infer<typeof dependency>;

const notConfigured: DependencyState = { status: 'not_configured', latency_ms: null };

function state(result: ProbeResult, withError: boolean): DependencyState {
  if (result.ok) return { status: 'ok', latency_ms: result.latencyMs };
  return {
    status: 'down',
    latency_ms: result.latencyMs,
    ...(withError && result.error !== undefined ? { error: result.error } : {}),
  };
}

const detailed = z.object({
  status: z.enum(['ok', 'degraded']),
  dependencies: z.object({ postgres: dependency, redis: dependency, rabbitmq: dependency }),
  version: z.string(),
  uptime_seconds: z.number().int(),
});

export function healthRoutes(context: ServiceContext, version: string, deps: AccountDeps) {
  const startedAt = Date.now();
  const liveness = livenessRoute({
    url: '/health',
    schema: {
      tags: ['operations'],
      operationId: 'livenessProbe',
      security: [],
      summary: 'Liveness probe',
      description:
        'Lightweight liveness check. Returns 200 with a small JSON when the process is up. Does not touch DB / Redis / RabbitMQ — use `/health/detailed` for that. Suitable for k8s `livenessProbe`.',
    },
    body: z.object({ status: z.literal('ok') }),
    answer: { status: 'ok' },
  });
  const readiness = healthRoute({
    url: '/health/detailed',
    schema: {
      tags: ['operations'],
      operationId: 'detailedHealth',
      security: [],
      summary: 'Detailed health',
      description:
        "Per-dependency health snapshot. Probes Postgres, Redis, and RabbitMQ and returns each dependency's state. A degraded dependency yields HTTP 503 so a load balancer can drop the pod from rotation. Heavier than `/health` — call from `readinessProbe`, not `livenessProbe`.",
    },
    body: detailed,
    async check() {
      const redis = deps.limits.redis;
      const [postgres, redisState, rabbitmq] = await Promise.all([
        // The database's own error stays in the logs; the broker's and Redis's are shown.
        probeDatabase(context.database().pool).then(
          (result): DependencyState => ({ ...state(result, false), pool: result.pool }),
        ),
        redis ? probe(() => redis.ping()).then((result) => state(result, true)) : notConfigured,
        deps.amqpUrl ? probeAmqp(deps.amqpUrl).then((result) => state(result, true)) : notConfigured,
      ]);
      const dependencies = { postgres, redis: redisState, rabbitmq };
      const healthy = Object.values(dependencies).every((dependency) => dependency.status !== 'down');
      return {
        healthy,
        body: {
          status: healthy ? 'ok' : 'degraded',
          dependencies,
          version,
          uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
        },
      };
    },
  });
  return async (app: FastifyInstance) => {
    await app.register(liveness);
    await app.register(readiness);
  };
}
