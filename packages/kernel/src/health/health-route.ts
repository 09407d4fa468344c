import type { FastifyInstance, FastifySchema } from 'fastify';
import type pg from 'pg';
import type { z } from 'zod';
import { type DatabaseProbeResult, probeDatabase } from './database-probe.js';

/** What a health check found: `healthy` answers 200, otherwise 503; `body` is in the service's shape. */
export interface HealthReport<Body> {
  healthy: boolean;
  body: Body;
}

export interface HealthRouteOptions<Body> {
  url: string;
  /** The route's OpenAPI description (tags, operationId, summary, security, `x-extension`…). */
  schema: Omit<FastifySchema, 'response'> & Record<string, unknown>;
  /** The body the service's seed (or README) gives its health route, for 200 and 503 alike. */
  body: z.ZodType<Body>;
  /** Other documented responses (a 500 in the service's error envelope). */
  responses?: Record<number, z.ZodType>;
  /** Runs the service's checks (`probeDatabase`, `probeAmqp`, its own) and reports them. */
  check(): Promise<HealthReport<Body>>;
}

/**
 * A service's health (readiness) route: one GET whose check decides the status (200 healthy, 503
 * not) and whose body keeps the shape that service documents.
 */
export function healthRoute<Body>(options: HealthRouteOptions<Body>) {
  // The app's zod compilers validate and serialize `body` (createHttpApp); the types are the options'.
  const schema: FastifySchema = {
    ...options.schema,
    response: { 200: options.body, 503: options.body, ...options.responses },
  };
  return async (app: FastifyInstance) => {
    app.get(options.url, { schema }, async (_request, reply) => {
      const report = await options.check();
      return reply.status(report.healthy ? 200 : 503).send(report.body);
    });
  };
}

/**
 * How a health route the seed does not have is documented (the platform's convention, PLATFORM.md:
 * every service has one): a public extension of the seed's API.
 */
export const PLATFORM_HEALTH_SCHEMA = {
  tags: ['System'],
  operationId: 'getHealth',
  summary: 'Liveness and database check',
  security: [],
  'x-extension': true,
} as const;

/**
 * The health route of a service whose readiness is its database: `SELECT 1` (bounded) on the
 * probe's own connection, 200 when it answers and 503 when not, with `render` giving the probe's
 * result (and the pool's figures: a busy pool is still ready) the service's body. `schema`
 * defaults to the platform's convention for a route the seed does not have.
 */
export function databaseHealthRoute<Body>(
  options: Omit<HealthRouteOptions<Body>, 'check' | 'schema'> & {
    schema?: HealthRouteOptions<Body>['schema'];
    /** The service's pool (read when a probe runs). */
    pool: () => pg.Pool;
    /** How long the database has to answer (default 2 s). */
    timeoutMs?: number;
    render(database: DatabaseProbeResult): Body | Promise<Body>;
  },
) {
  const { pool, render, timeoutMs, schema = PLATFORM_HEALTH_SCHEMA, ...route } = options;
  return healthRoute({
    ...route,
    schema,
    async check() {
      const database = await probeDatabase(pool(), timeoutMs);
      return { healthy: database.ok, body: await render(database) };
    },
  });
}

/**
 * A liveness route: the process answers, so it is alive; nothing downstream is checked (a load
 * balancer's liveness probe must not fail because a dependency did). Always 200 with `answer`.
 */
export function livenessRoute<Body>(options: {
  url: string;
  schema: Omit<FastifySchema, 'response'> & Record<string, unknown>;
  body: z.ZodType<Body>;
  answer: Body;
}) {
  const schema: FastifySchema = { ...options.schema, response: { 200: options.body } };
  return async (app: FastifyInstance) => {
    app.get(options.url, { schema }, async () => options.answer);
  };
}
