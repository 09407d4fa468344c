import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type BootedService, bootService, checkServiceErrors } from '@trustplane/kernel/testkit';
import type { FastifyRequest } from 'fastify';
import { renderBacklexError } from '../src/http/errors.js';
import { backlexService } from '../src/index.js';

test('the error catalogue, the seed and the README agree both ways', () => {
  const problems = checkServiceErrors(backlexService, {
    renderer: renderBacklexError,
    packageDir: new URL('..', import.meta.url),
    seedCodeField: ['error', 'code'],
  });
  assert.deepEqual(problems, []);
});

describe('backlex answers errors in AppError', () => {
  let booted: BootedService;
  before(async () => {
    booted = await bootService(backlexService, { databaseOutage: true });
  });
  after(async () => booted?.close());

  test('an unknown route is 404 NOT_FOUND', async () => {
    const response = await booted.app.inject({ method: 'GET', url: '/api/nothing' });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().error.code, 'NOT_FOUND');
  });

  test('a database outage is 503 SERVICE_UNAVAILABLE (health reports it in its own body)', async () => {
    const restore = await booted.takeDatabaseDown();
    try {
      const health = await booted.app.inject({ method: 'GET', url: '/api/health' });
      assert.equal(health.statusCode, 503);
      assert.equal(health.json().database.ok, false);
    } finally {
      await restore();
    }
    // No backlex route but health reads the database yet: the outage is rendered directly.
    const rendered = renderBacklexError(
      {
        kind: 'database_unavailable',
        statusCode: 503,
        failure: 'unreachable',
        message: 'The database is unavailable',
      },
      { id: 'r1', log: booted.context.logger } as unknown as FastifyRequest,
    );
    assert.deepEqual(rendered, {
      statusCode: 503,
      body: { error: { code: 'SERVICE_UNAVAILABLE', message: 'The database is unavailable' } },
    });
  });
});
