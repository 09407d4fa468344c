import net from 'node:net';
import { probeDatabase, type ServiceContext } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';

const dependency = z.object({
  status: z.enum(['ok', 'down', 'not_configured']),
  latency_ms: z.number().nullable(),
  error: z.string().optional(),
});

type DependencyState = z.infer<typeof dependency>;

const PROBE_TIMEOUT_MS = 2000;

async function timed(probe: () => Promise<void>): Promise<DependencyState> {
  const started = performance.now();
  try {
    await Promise.race([
      probe(),
      new Promise((_resolve, reject) =>
        setTimeout(() => reject(new Error('timed out')), PROBE_TIMEOUT_MS).unref(),
      ),
    ]);
    return { status: 'ok', latency_ms: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      status: 'down',
      latency_ms: Math.round(performance.now() - started),
      error: (error as Error).message,
    };
  }
}

/** RabbitMQ is probed by opening its AMQP port: enough to tell a dead broker from a live one. */
function tcpProbe(url: string): Promise<void> {
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol === 'amqps:' ? 5671 : 5672));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: parsed.hostname, port }, () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
}

export function healthRoutes(context: ServiceContext, version: string, deps: AccountDeps) {
  const startedAt = Date.now();
  return async (app: FastifyInstance) => {
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.get(
      '/health',
      {
        schema: {
          tags: ['operations'],
          operationId: 'livenessProbe',
          security: [],
          summary: 'Liveness probe',
          description:
            'Lightweight liveness check. Returns 200 with a small JSON when the process is up. Does not touch DB / Redis / RabbitMQ — use `/health/detailed` for that. Suitable for k8s `livenessProbe`.',
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );
    const detailed = z.object({
      status: z.enum(['ok', 'degraded']),
      dependencies: z.object({ postgres: dependency, redis: dependency, rabbitmq: dependency }),
      version: z.string(),
      uptime_seconds: z.number().int(),
    });
    routes.get(
      '/health/detailed',
      {
        schema: {
          tags: ['operations'],
          operationId: 'detailedHealth',
          security: [],
          summary: 'Detailed health',
          description:
            "Per-dependency health snapshot. Probes Postgres, Redis, and RabbitMQ and returns each dependency's state. A degraded dependency yields HTTP 503 so a load balancer can drop the pod from rotation. Heavier than `/health` — call from `readinessProbe`, not `livenessProbe`.",
          response: { 200: detailed, 503: detailed },
        },
      },
      async (_request, reply) => {
        const redis = deps.limits.redis;
        const [postgres, redisState, rabbitmq] = await Promise.all([
          probeDatabase(context.database().pool).then(
            (result): DependencyState => ({
              status: result.ok ? 'ok' : 'down',
              latency_ms: result.latencyMs,
            }),
          ),
          redis
            ? timed(async () => {
                await redis.ping();
              })
            : Promise.resolve<DependencyState>({ status: 'not_configured', latency_ms: null }),
          deps.amqpUrl
            ? timed(() => tcpProbe(deps.amqpUrl!))
            : Promise.resolve<DependencyState>({ status: 'not_configured', latency_ms: null }),
        ]);
        const dependencies = { postgres, redis: redisState, rabbitmq };
        const healthy = Object.values(dependencies).every((state) => state.status !== 'down');
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
