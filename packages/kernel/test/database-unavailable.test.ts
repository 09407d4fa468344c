import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createDatabase, type Database } from '../src/db/database.js';
import { databaseFailure } from '../src/db/database-failure.js';
import { freePort } from '../src/db/embedded-postgres.js';
import type { ErrorRenderer } from '../src/http/errors.js';
import { createDatabaseOutage, type DatabaseOutage, poolDrained } from '../src/testkit/database-outage.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';
import { testHttpApp } from './support/test-http-app.js';

const renderError: ErrorRenderer = (error) => ({
  statusCode: error.statusCode,
  body: {
    kind: error.kind,
    message: error.message,
    ...(error.kind === 'database_unavailable' ? { failure: error.failure } : {}),
  },
});

/** A PostgreSQL ErrorResponse as pg raises it. */
const serverError = (code: string) =>
  Object.assign(new Error(`server said ${code}`), { code, severity: 'FATAL', name: 'error' });

async function appOn(database: Database<unknown>): Promise<FastifyInstance> {
  const app = await testHttpApp({ renderError });
  app.get('/count', async () => (await database.pool.query('SELECT count(*)::int AS n FROM things')).rows[0]);
  app.get('/missing', async () => (await database.pool.query('SELECT * FROM no_such_table')).rows);
  app.post('/things', async () => {
    await database.pool.query('INSERT INTO things (id) VALUES (1)');
    return { ok: true };
  });
  return app;
}

describe('databaseFailure', () => {
  test('server states of an outage, a lost connection, and a missing schema', () => {
    for (const code of ['57P01', '57P02', '57P03', '53300', '08006', '08001', '08000', '08003']) {
      assert.equal(databaseFailure(serverError(code)), 'unreachable', code);
    }
    for (const code of ['42P01', '3F000'])
      assert.equal(databaseFailure(serverError(code)), 'schema_missing', code);
    assert.equal(databaseFailure(new Error('Connection terminated unexpectedly')), 'unreachable');
    assert.equal(databaseFailure(new Error('timeout exceeded when trying to connect')), 'unreachable');
    assert.equal(
      databaseFailure(new Error('wrapped', { cause: new Error('Connection terminated unexpectedly') })),
      'unreachable',
    );
  });

  test('constraint violations, other errors and socket codes from elsewhere are not outages', () => {
    for (const code of ['23505', '23503', '40001', '22P02'])
      assert.equal(databaseFailure(serverError(code)), undefined);
    assert.equal(databaseFailure(new Error('boom')), undefined);
    // The same socket code from object storage or a webhook is not the database.
    assert.equal(
      databaseFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
      undefined,
    );
    // A SQLSTATE-looking code without a severity is not a PostgreSQL error.
    assert.equal(databaseFailure(Object.assign(new Error('x'), { code: '57P01' })), undefined);
    assert.equal(databaseFailure(undefined), undefined);
  });
});

describe('a route whose database is unavailable answers 503 in the envelope', () => {
  let testDatabase: TestDatabase;
  let outage: DatabaseOutage;
  let database: Database<unknown>;
  let app: FastifyInstance;
  before(async () => {
    testDatabase = await createTestDatabase('outage');
    outage = await createDatabaseOutage(testDatabase.url);
    database = createDatabase({ url: outage.url, schema: 'public' });
    await database.pool.query('CREATE TABLE things (id int)');
    app = await appOn(database);
  });
  after(async () => {
    await app?.close();
    await database?.close();
    await outage?.close();
    await testDatabase?.drop();
  });

  test('connections dropped and refused → 503 database_unavailable, then back to 200', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/count' })).statusCode, 200);
    await outage.begin();
    await poolDrained(database.pool);
    for (const request of [
      { method: 'GET', url: '/count' },
      { method: 'POST', url: '/things' },
    ] as const) {
      const response = await app.inject(request);
      assert.equal(response.statusCode, 503, request.url);
      assert.deepEqual(response.json(), {
        kind: 'database_unavailable',
        message: 'The database is unavailable',
        failure: 'unreachable',
      });
    }
    await outage.end();
    const back = await app.inject({ method: 'GET', url: '/count' });
    assert.deepEqual([back.statusCode, back.json()], [200, { n: 0 }]);
  });

  test('a missing table is 503 schema_missing', async () => {
    const response = await app.inject({ method: 'GET', url: '/missing' });
    assert.equal(response.statusCode, 503);
    assert.deepEqual(response.json(), {
      kind: 'database_unavailable',
      message: 'The database is not migrated',
      failure: 'schema_missing',
    });
  });

  test('a pool pointed at a port where nothing listens answers 503', async () => {
    const dead = createDatabase({
      url: `postgres://nobody@127.0.0.1:${await freePort()}/none`,
      schema: 'public',
    });
    const deadApp = await appOn(dead);
    try {
      const response = await deadApp.inject({ method: 'GET', url: '/count' });
      assert.equal(response.statusCode, 503);
      assert.equal(response.json().failure, 'unreachable');
    } finally {
      await deadApp.close();
      await dead.close();
    }
  });
});

describe('a connection lost while checked out', () => {
  test('does not crash the process; its holder sees the loss on its next query', async () => {
    const testDatabase = await createTestDatabase('checked-out');
    const database = createDatabase<unknown>({ url: testDatabase.url, schema: 'public', max: 2 });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    try {
      const held = await database.pool.connect();
      await held.query('BEGIN');
      const { rows } = await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // Another connection ends the held one while its holder awaits something else.
      await database.pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(uncaught, []);
      await assert.rejects(held.query('SELECT 1'));
      held.release(true);
      assert.equal((await database.pool.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      await database.close();
      await testDatabase.drop();
    }
  });
});
