import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkServiceErrors } from '@trustplane/kernel/testkit';
import { renderVerifactError } from '../src/http/errors.js';
import { verifactService } from '../src/index.js';
import { Harness } from './support/harness.js';

test('the error catalogue, the seed and the README table agree both ways', () => {
  // The seed names one code (the `Error.code` example), so the check is global, not per operation;
  // every error status it lists must be one the catalogue sends.
  const problems = checkServiceErrors(verifactService, {
    renderer: renderVerifactError,
    packageDir: new URL('..', import.meta.url),
    seedCodeField: ['code'],
    readmeHeading: 'Error codes',
  });
  assert.deepEqual(problems, []);
});

describe('database outage', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.boot({}, { databaseOutage: true });
  });
  after(async () => h?.close());

  test('answers 503 SERVICE_UNAVAILABLE in the Error envelope while the database is down, and recovers', async () => {
    const tenant = await h.tenant();
    const plan = { method: 'GET' as const, url: '/api/v1/plan', key: tenant.admin, skipContract: true };
    assert.equal((await h.call(plan)).statusCode, 200);
    const restore = await h.booted.takeDatabaseDown();
    try {
      const response = await h.call(plan);
      assert.equal(response.statusCode, 503);
      assert.deepEqual(response.json(), {
        error: 'The database is unavailable',
        code: 'SERVICE_UNAVAILABLE',
      });
    } finally {
      await restore();
    }
    assert.equal((await h.call(plan)).statusCode, 200);
  });
});
