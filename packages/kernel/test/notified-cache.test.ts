import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import pino from 'pino';
import { createPool } from '../src/db/database.js';
import { NOTIFIED_CACHE_CLEAR_ALL, NotifiedCache } from '../src/db/notified-cache.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const CHANNEL = 'kernel_notified_cache_test';

/** Polls `check` for up to `withinMs`. */
async function within(withinMs: number, check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) return check();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

describe('NotifiedCache', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const caches: NotifiedCache<string>[] = [];
  const loads: string[] = [];

  before(async () => {
    database = await createTestDatabase('kernel');
    pool = createPool({ url: database.url, schema: 'public', max: 4 });
    await pool.query('CREATE TABLE IF NOT EXISTS cached_rows (id text PRIMARY KEY, value text NOT NULL)');
    await pool.query(`INSERT INTO cached_rows VALUES ('a', 'one'), ('b', 'two')`);
  });
  after(async () => {
    for (const cache of caches) await cache.stop();
    await pool.end();
    await database.drop();
  });

  /** A cache of `cached_rows.value` by id, counting its loads. */
  async function cache(options: { keep?: (value: string) => boolean } = {}): Promise<NotifiedCache<string>> {
    const created = new NotifiedCache<string>({
      pool,
      channel: CHANNEL,
      logger,
      ...options,
      async load(key) {
        loads.push(key);
        const { rows } = await pool.query<{ value: string }>('SELECT value FROM cached_rows WHERE id = $1', [
          key,
        ]);
        return rows[0]?.value;
      },
    });
    caches.push(created);
    await created.start();
    return created;
  }

  /** Changes a row and notifies its key in one transaction (as a trigger would). */
  async function write(id: string, value: string, commit = true) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('UPDATE cached_rows SET value = $2 WHERE id = $1', [id, value]);
      await client.query('SELECT pg_notify($1, $2)', [CHANNEL, id]);
      await client.query(commit ? 'COMMIT' : 'ROLLBACK');
    } finally {
      client.release();
    }
  }

  test('a held value is served without loading; a committed change drops it in every cache', async () => {
    const first = await cache();
    const second = await cache();
    assert.equal(await first.get('a'), 'one');
    assert.equal(await second.get('a'), 'one');
    const before = loads.length;
    assert.equal(await first.get('a'), 'one');
    assert.equal(await second.get('a'), 'one');
    assert.equal(loads.length, before, 'served from memory');
    await write('a', 'uno');
    // The writer's barrier: once it returns, the commit's NOTIFY has reached this process.
    await first.changed('a');
    assert.equal(first.has('a'), false);
    assert.equal(second.has('a'), false);
    assert.equal(await second.get('a'), 'uno');
    assert.equal(await first.get('a'), 'uno');
  });

  test('a rolled-back change notifies nothing; unknown keys are never held', async () => {
    const subject = await cache();
    assert.equal(await subject.get('b'), 'two');
    await write('b', 'dos', false);
    await subject.sync();
    assert.equal(subject.has('b'), true);
    assert.equal(await subject.get('b'), 'two');
    assert.equal(await subject.get('missing'), undefined);
    assert.equal(subject.has('missing'), false);
  });

  test('a load overtaken by an invalidation of its key is not kept', async () => {
    const subject = await cache();
    const pending = subject.get('b');
    subject.invalidate('b');
    assert.equal(await pending, 'two');
    assert.equal(subject.has('b'), false);
  });

  test('untilNotified: read through (not kept) until the commit notifies the key', async () => {
    const subject = await cache();
    assert.equal(await subject.get('a'), 'uno');
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`UPDATE cached_rows SET value = 'eins' WHERE id = 'a'`);
      await client.query('SELECT pg_notify($1, $2)', [CHANNEL, 'a']);
      subject.invalidate('a', { untilNotified: true });
      // Before the commit: the old committed value, read from the database, not kept.
      assert.equal(await subject.get('a'), 'uno');
      assert.equal(subject.has('a'), false);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    assert.equal(await subject.get('a'), 'eins');
    await subject.sync();
    assert.equal(await subject.get('a'), 'eins');
    assert.equal(subject.has('a'), true);
  });

  test('keep() refuses short-lived values; * clears every entry', async () => {
    const subject = await cache({ keep: (value) => value !== 'two' });
    assert.equal(await subject.get('b'), 'two');
    assert.equal(subject.has('b'), false);
    assert.equal(await subject.get('a'), 'eins');
    assert.equal(subject.has('a'), true);
    await pool.query('SELECT pg_notify($1, $2)', [CHANNEL, NOTIFIED_CACHE_CLEAR_ALL]);
    assert.ok(await within(2000, () => !subject.has('a')));
  });

  test('not listening (no LISTEN connection): every call loads, nothing is held', async () => {
    const unreachable = createPool({
      url: 'postgres://trustplane@127.0.0.1:1/none',
      schema: 'public',
      max: 1,
    });
    const subject = new NotifiedCache<string>({
      pool: unreachable,
      channel: CHANNEL,
      logger,
      load: async () => {
        loads.push('deaf');
        return 'value';
      },
    });
    try {
      await subject.start();
      assert.equal(subject.listening, false);
      const before = loads.length;
      assert.equal(await subject.get('a'), 'value');
      assert.equal(await subject.get('a'), 'value');
      assert.equal(loads.length, before + 2);
      assert.equal(subject.has('a'), false);
      await subject.changed('a');
    } finally {
      await subject.stop();
      await unreachable.end();
    }
  });
});
