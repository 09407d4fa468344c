import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { createPool } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { createLeasedRateLimiter, createRateLimiter, type RateLimitStore } from '../src/ratelimit/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';

const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

let database: TestDatabase;
let pool: pg.Pool;
before(async () => {
  database = await createTestDatabase('leased_ratelimit');
  await migrate(database.url, 'platform', MIGRATIONS);
  pool = createPool({ url: database.url, schema: 'platform' });
});
after(async () => {
  await pool.end();
  await database.drop();
});

let counter = 0;
const prefix = () => `test.leased.${++counter}`;
const store = (): RateLimitStore => ({ kind: 'postgres', pool });

describe('leased rate limiter on PostgreSQL', () => {
  test('one process: exactly the limit passes, then a refusal with Retry-After', async () => {
    const limiter = createLeasedRateLimiter({
      keyPrefix: prefix(),
      points: 40,
      durationSeconds: 60,
      store: store(),
    });
    const decisions = await Promise.all(Array.from({ length: 60 }, () => limiter.consume('caller')));
    assert.equal(decisions.filter((decision) => decision.allowed).length, 40);
    const refused = await limiter.consume('caller');
    assert.equal(refused.allowed, false);
    assert.ok(refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 60);
    // Another key is untouched.
    assert.equal((await limiter.consume('other')).allowed, true);
  });

  test('two processes on one store never pass more than the limit together', async () => {
    const keyPrefix = prefix();
    const a = createLeasedRateLimiter({ keyPrefix, points: 100, durationSeconds: 60, store: store() });
    const b = createLeasedRateLimiter({ keyPrefix, points: 100, durationSeconds: 60, store: store() });
    let allowed = 0;
    for (let round = 0; round < 30; round++) {
      const batch = await Promise.all([
        ...Array.from({ length: 4 }, () => a.consume('caller')),
        ...Array.from({ length: 4 }, () => b.consume('caller')),
      ]);
      allowed += batch.filter((decision) => decision.allowed).length;
    }
    assert.ok(allowed <= 100, `${allowed} passed, the limit is 100`);
    // Leased points stranded in the other process: at most one lease (5 of 100 here).
    assert.ok(allowed >= 95, `only ${allowed} passed`);
  });

  test('points are taken from the store in chunks, not one trip per request', async () => {
    const keyPrefix = prefix();
    const limiter = createLeasedRateLimiter({ keyPrefix, points: 600, durationSeconds: 60, store: store() });
    const plain = createRateLimiter({ keyPrefix, points: 600, durationSeconds: 60, store: store() });
    const first = await limiter.consume('caller');
    assert.equal(first.allowed, true);
    // The store counted a whole lease (30 = 600 / 20) for the first request.
    assert.equal((await plain.get('caller')).consumed, 30);
    for (let i = 0; i < 29; i++) assert.equal((await limiter.consume('caller')).allowed, true);
    assert.equal((await plain.get('caller')).consumed, 30, 'the next 29 requests cost no store trip');
    await limiter.consume('caller');
    assert.equal((await plain.get('caller')).consumed, 60);
  });

  test('a refusal is remembered: the store is not asked again until the window ends', async () => {
    const keyPrefix = prefix();
    const limiter = createLeasedRateLimiter({ keyPrefix, points: 2, durationSeconds: 60, store: store() });
    const plain = createRateLimiter({ keyPrefix, points: 2, durationSeconds: 60, store: store() });
    await limiter.consume('caller');
    await limiter.consume('caller');
    assert.equal((await limiter.consume('caller')).allowed, false);
    const counted = (await plain.get('caller')).consumed;
    for (let i = 0; i < 10; i++) assert.equal((await limiter.consume('caller')).allowed, false);
    assert.equal((await plain.get('caller')).consumed, counted);
  });
});
