import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import type pg from 'pg';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { databaseHealthRoute, healthRoute, livenessRoute } from '../src/health/health-route.js';
import { probe, probeAmqp } from '../src/health/probes.js';

function app() {
  const fastify = Fastify();
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);
  return fastify;
}

describe('health routes', () => {
  test("a readiness route answers 200 or 503 by its check, in the service's shape, serialized by its schema", async () => {
    let up = true;
    const fastify = app();
    await fastify.register(
      healthRoute({
        url: '/health',
        schema: { operationId: 'health', security: [] },
        body: z.object({ state: z.enum(['up', 'down']) }),
        async check() {
          // A field the schema does not declare never leaves the process.
          const body = { state: up ? ('up' as const) : ('down' as const), secret: 'internal' };
          return { healthy: up, body };
        },
      }),
    );
    const healthy = await fastify.inject({ method: 'GET', url: '/health' });
    assert.equal(healthy.statusCode, 200);
    assert.deepEqual(healthy.json(), { state: 'up' });
    up = false;
    const unhealthy = await fastify.inject({ method: 'GET', url: '/health' });
    assert.equal(unhealthy.statusCode, 503);
    assert.deepEqual(unhealthy.json(), { state: 'down' });
  });

  test('a database health route is ready while SELECT 1 answers, in the body the service renders', async () => {
    let answers = true;
    const pool = {
      query: async () => {
        if (!answers) throw new Error('connection refused');
        return { rows: [{}] };
      },
    } as unknown as pg.Pool;
    const fastify = app();
    await fastify.register(
      databaseHealthRoute({
        url: '/health',
        body: z.object({ database: z.enum(['ok', 'unreachable']) }),
        pool: () => pool,
        render: (database) => ({ database: database.ok ? 'ok' : 'unreachable' }),
      }),
    );
    assert.deepEqual((await fastify.inject({ method: 'GET', url: '/health' })).json(), { database: 'ok' });
    answers = false;
    const down = await fastify.inject({ method: 'GET', url: '/health' });
    assert.equal(down.statusCode, 503);
    assert.deepEqual(down.json(), { database: 'unreachable' });
  });

  test('a liveness route always answers 200 with its answer', async () => {
    const fastify = app();
    await fastify.register(
      livenessRoute({
        url: '/alive',
        schema: {},
        body: z.object({ status: z.literal('ok') }),
        answer: { status: 'ok' },
      }),
    );
    const response = await fastify.inject({ method: 'GET', url: '/alive' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
  });
});

describe('probes', () => {
  test('a check that does not settle in time is down, never thrown', async () => {
    const result = await probe(() => new Promise(() => undefined), 50);
    assert.equal(result.ok, false);
    assert.equal(result.error, 'timed out');
  });

  test('an AMQP URL is up while its port accepts connections, down once it does not', async () => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    assert.equal((await probeAmqp(`amqp://guest:guest@127.0.0.1:${port}`)).ok, true);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const down = await probeAmqp(`amqp://127.0.0.1:${port}`);
    assert.equal(down.ok, false);
    assert.match(down.error ?? '', /ECONNREFUSED/);
  });
});
