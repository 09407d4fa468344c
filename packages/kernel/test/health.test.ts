import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import pg from 'pg';
import { z } from 'zod';
import { createPool } from '../src/db/database.js';
import { freePort } from '../src/db/embedded-postgres.js';
import { poolFiguresSchema, probeDatabase } from '../src/health/database-probe.js';
import { databaseHealthRoute, healthRoute, livenessRoute } from '../src/health/health-route.js';
import { probe, probeAmqp } from '../src/health/probes.js';
import { createDatabaseOutage, holdEveryClient } from '../src/testkit/database-outage.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';
import { eventually } from '../src/testkit/eventually.js';

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

describe('database readiness', () => {
  // Generous: the probe's bound is not what these tests measure (the machine may be loaded).
  const timeoutMs = 15_000;
  let testDatabase: TestDatabase;
  let admin: pg.Client;
  before(async () => {
    testDatabase = await createTestDatabase('health');
    admin = new pg.Client(testDatabase.url);
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await testDatabase?.drop();
  });

  /** Backends of this database whose application name is `name`. */
  async function backends(name: string): Promise<number> {
    const { rows } = await admin.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
      [name],
    );
    return rows[0]?.n ?? 0;
  }

  async function readiness(pool: pg.Pool) {
    const fastify = app();
    await fastify.register(
      databaseHealthRoute({
        url: '/health',
        body: z.object({ database: z.enum(['ok', 'unreachable']), pool: poolFiguresSchema }),
        pool: () => pool,
        timeoutMs,
        render: (database) => ({ database: database.ok ? 'ok' : 'unreachable', pool: database.pool }),
      }),
    );
    return fastify;
  }

  test('every pool client held and a caller waiting: still ready (200), the pool named busy', async () => {
    const pool = createPool({ url: testDatabase.url, schema: 'public', max: 2 });
    const fastify = await readiness(pool);
    const release = await holdEveryClient(pool);
    try {
      // A request's query now waits for a client, as under a spike.
      const queued = pool.query('SELECT 2 AS n');
      const busy = await fastify.inject({ method: 'GET', url: '/health' });
      assert.equal(busy.statusCode, 200, busy.body);
      assert.deepEqual(busy.json(), {
        database: 'ok',
        pool: { busy: true, max: 2, total: 2, idle: 0, waiting: 1 },
      });
      // The probe took no client: the request is still the one waiting.
      assert.equal(pool.waitingCount, 1);
      release();
      assert.equal((await queued).rows[0].n, 2);
      const idle = await fastify.inject({ method: 'GET', url: '/health' });
      assert.equal(idle.statusCode, 200);
      assert.equal(idle.json().pool.busy, false);
    } finally {
      release();
      await fastify.close();
      await pool.end();
    }
  });

  test('nothing listening on the URL: 503 unreachable, fast and without throwing', async () => {
    const url = new URL(testDatabase.url);
    url.port = String(await freePort());
    const pool = createPool({ url: url.toString(), schema: 'public' });
    const fastify = await readiness(pool);
    try {
      const down = await fastify.inject({ method: 'GET', url: '/health' });
      assert.equal(down.statusCode, 503);
      assert.deepEqual(down.json(), {
        database: 'unreachable',
        pool: { busy: false, max: 10, total: 0, idle: 0, waiting: 0 },
      });
      assert.match((await probeDatabase(pool, timeoutMs)).error ?? '', /ECONNREFUSED/);
    } finally {
      await fastify.close();
      await pool.end();
    }
  });

  test('a login the server refuses is unreachable too', async () => {
    const url = new URL(testDatabase.url);
    url.password = 'not-the-password';
    const pool = createPool({ url: url.toString(), schema: 'public' });
    try {
      const result = await probeDatabase(pool, timeoutMs);
      assert.equal(result.ok, false);
      assert.match(result.error ?? '', /password authentication failed/);
    } finally {
      await pool.end();
    }
  });

  test('an outage on the kept connection is 503, and readiness recovers with the database', async () => {
    const outage = await createDatabaseOutage(testDatabase.url);
    const pool = createPool({ url: outage.url, schema: 'public', applicationName: 'health-outage' });
    const fastify = await readiness(pool);
    try {
      assert.equal((await fastify.inject({ method: 'GET', url: '/health' })).statusCode, 200);
      await outage.begin();
      const down = await fastify.inject({ method: 'GET', url: '/health' });
      assert.equal(down.statusCode, 503);
      assert.equal(down.json().database, 'unreachable');
      await outage.end();
      const up = await fastify.inject({ method: 'GET', url: '/health' });
      assert.equal(up.statusCode, 200, up.body);
      assert.equal(up.json().database, 'ok');
    } finally {
      await fastify.close();
      await pool.end();
      await outage.close();
    }
  });

  test('a server that drops the kept connection between probes: the next probe reconnects, still 200', async () => {
    const pool = createPool({ url: testDatabase.url, schema: 'public', applicationName: 'health-restart' });
    try {
      assert.equal((await probeDatabase(pool, timeoutMs)).ok, true);
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'health-restart-probe'",
      );
      assert.equal((await probeDatabase(pool, timeoutMs)).ok, true);
    } finally {
      await pool.end();
    }
  });

  test('concurrent probes share one connection of their own, which ends with the pool', async () => {
    const pool = createPool({ url: testDatabase.url, schema: 'public', applicationName: 'health-shared' });
    const results = await Promise.all(Array.from({ length: 5 }, () => probeDatabase(pool, timeoutMs)));
    assert.ok(results.every((result) => result.ok));
    assert.equal(await backends('health-shared-probe'), 1);
    // The pool itself opened nothing for the probes.
    assert.equal(pool.totalCount, 0);
    await pool.end();
    await eventually(
      async () => (await backends('health-shared-probe')) === 0,
      'the probe connection closed',
    );
    assert.equal((await probeDatabase(pool, timeoutMs)).ok, false);
  });
});
