import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await Harness.boot({ databaseOutage: true });
});
after(async () => {
  await h?.close();
});

describe('database failures', () => {
  it('answers 503 SERVICE_UNAVAILABLE in the envelope while the database is down, and recovers', async () => {
    const { cookie, sk } = await h.tenant();
    const restore = await h.booted.takeDatabaseDown();
    try {
      // Through the operator cookie check and the secret-key check: both read the database first.
      const organizations = await h.call({ method: 'GET', url: '/api/organizations', headers: { cookie } });
      assert.equal(organizations.statusCode, 503);
      assert.deepEqual(organizations.json(), {
        ok: false,
        error: 'SERVICE_UNAVAILABLE',
        message: 'The database is unavailable',
      });
      const session = await h.call({
        method: 'POST',
        url: '/api/verification/sessions',
        headers: { authorization: `Bearer ${sk}` },
      });
      assert.equal(session.statusCode, 503);
      assert.equal(session.json().error, 'SERVICE_UNAVAILABLE');
    } finally {
      await restore();
    }
    const back = await h.call({ method: 'GET', url: '/api/organizations', headers: { cookie } });
    assert.equal(back.statusCode, 200);
  });

  it('answers 503 DATABASE_SCHEMA_MISSING instead of a 500 when a table is missing', async () => {
    const { cookie } = await h.operator();
    const pool = h.kyc.database.pool;
    await pool.query('ALTER TABLE organizations RENAME TO organizations_moved');
    try {
      const response = await h.call({ method: 'GET', url: '/api/organizations', headers: { cookie } });
      assert.equal(response.statusCode, 503);
      assert.equal(response.json().error, 'DATABASE_SCHEMA_MISSING');
    } finally {
      await pool.query('ALTER TABLE organizations_moved RENAME TO organizations');
    }
    const back = await h.call({ method: 'GET', url: '/api/organizations', headers: { cookie } });
    assert.equal(back.statusCode, 200);
  });
});
