import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseFailure } from '../src/http/database-errors.js';
import { Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

describe('database failures', () => {
  it('classifies connection and schema errors', () => {
    assert.equal(
      databaseFailure(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })),
      'SERVICE_UNAVAILABLE',
    );
    assert.equal(
      databaseFailure(Object.assign(new Error('shutdown'), { code: '57P01' })),
      'SERVICE_UNAVAILABLE',
    );
    assert.equal(databaseFailure(new Error('Connection terminated unexpectedly')), 'SERVICE_UNAVAILABLE');
    assert.equal(
      databaseFailure(Object.assign(new Error('relation'), { code: '42P01' })),
      'DATABASE_SCHEMA_MISSING',
    );
    assert.equal(databaseFailure(Object.assign(new Error('unique'), { code: '23505' })), undefined);
    assert.equal(databaseFailure(new Error('boom')), undefined);
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
