import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkServiceErrors } from '@trustplane/kernel/testkit';
import { renderMediaError } from '../src/http/errors.js';
import { createMediaService } from '../src/index.js';
import { errorCode, type Harness, startHarness } from './support/harness.js';

test('every code media sends is in the README table with its status, and no stale row', () => {
  // The seed's media sections show no error body and no code: the README table is the documentation.
  const problems = checkServiceErrors(createMediaService(), {
    renderer: renderMediaError,
    packageDir: new URL('..', import.meta.url),
  });
  assert.deepEqual(problems, []);
});

describe('database outage', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({}, {}, { databaseOutage: true });
  });
  after(async () => h?.close());

  test('answers 503 service_unavailable in the envelope while the database is down, and recovers', async () => {
    const user = await h.user();
    const list = { method: 'GET' as const, url: '/media', headers: user.auth };
    assert.equal((await h.booted.app.inject(list)).statusCode, 200);
    const restore = await h.booted.takeDatabaseDown();
    try {
      const response = await h.booted.app.inject(list);
      assert.equal(response.statusCode, 503);
      assert.equal(errorCode(response), 'service_unavailable');
      assert.equal(response.json().error.message, 'The database is unavailable');
    } finally {
      await restore();
    }
    assert.equal((await h.booted.app.inject(list)).statusCode, 200);
  });
});
