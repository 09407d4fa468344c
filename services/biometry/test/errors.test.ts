import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type BootedService, checkServiceErrors } from '@trustplane/kernel/testkit';
import { renderBiometryError } from '../src/http/errors.js';
import { biometryService } from '../src/index.js';
import { bootBiometry, mintKey } from './helpers.js';

describe('biometry errors', () => {
  let booted: BootedService;
  before(async () => {
    booted = (await bootBiometry({ databaseOutage: true })).booted;
  });
  after(async () => booted?.close());

  it('the catalogue and the README table agree both ways; the seed’s only error status, 422, is sent', () => {
    // FastAPI bodies carry no code: the seed documents statuses only, the README names the entries.
    const problems = checkServiceErrors(biometryService, {
      renderer: renderBiometryError,
      packageDir: new URL('..', import.meta.url),
      seedCodeField: ['detail'],
    });
    assert.deepEqual(problems, []);
  });

  it('answers 503 {detail} while the database is down, and recovers', async () => {
    const key = await mintKey(booted, 'outage');
    const request = { method: 'GET' as const, url: '/jobs/results', headers: { 'x-service-api-key': key } };
    const restore = await booted.takeDatabaseDown();
    try {
      const response = await booted.app.inject(request);
      assert.equal(response.statusCode, 503);
      assert.deepEqual(response.json(), { detail: 'The database is unavailable' });
    } finally {
      await restore();
    }
    assert.equal((await booted.app.inject(request)).statusCode, 200);
  });
});
