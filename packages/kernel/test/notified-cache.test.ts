import assert from 'node:assert/strict';
import { after, before, describe, mock, test } from 'node:test';
import type pg from 'pg';
import pino from 'pino';
import { createPool } from '../src/db/database.js';
import {
  NOTIFIED_CACHE_CLEAR_ALL,
  NotifiedCache,
  type NotifiedCacheOptions,
} from '../src/db/notified-cache.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';
import { eventually } from '../src/testkit/eventually.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const CHANNEL = 'kernel_notified_cache_test';

describe('NotifiedCache', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const caches: NotifiedCache<string>[] = [];
  const loads: string[] = [];

  /** Another "process": a pool of its own, hence a LISTEN connection of its own (not shared). */
  let otherPool: pg.Pool;
  /** While set, a load waits (after its read) until the test releases it: a load racing a change. */
  let holdLoads = false;
  const held: (() => void)[] = [];

  before(async () => {
    database = await createTestDatabase('kernel');
    pool = createPool({ url: database.url, schema: 'public', max: 4 });
    const other = new URL(database.url);
    other.searchParams.set('application_name', 'notified-cache-other-process');
    otherPool = createPool({ url: other.toString(), schema: 'public', max: 2 });
    await pool.query('CREATE TABLE IF NOT EXISTS cached_rows (id text PRIMARY KEY, value text NOT NULL)');
    await pool.query(`INSERT INTO cached_rows VALUES ('a', 'one'), ('b', 'two')`);
    // Memberships: an entry per member, tagged with its org (`org:<id>`), as backlex's org gate.
    await pool.query('CREATE TABLE members (id text PRIMARY KEY, org text NOT NULL, role text NOT NULL)');
    await pool.query(
      `INSERT INTO members VALUES ('m1', 'o1', 'admin'), ('m2', 'o1', 'viewer'), ('m3', 'o2', 'admin')`,
    );
  });
  after(async () => {
    for (const cache of caches) await cache.stop();
    await otherPool.end();
    await pool.end();
    await database.drop();
  });

  type CacheOptions = Partial<Pick<NotifiedCacheOptions<string>, 'keep' | 'tags' | 'missingMaxAgeMs'>> & {
    /** The process: `pool` (default) or `otherPool`. */
    on?: pg.Pool;
  };

  /** A cache of `cached_rows.value` by id, counting its loads. */
  function cache(options: CacheOptions = {}): Promise<NotifiedCache<string>> {
    return started(options, async (key, on) => {
      const { rows } = await on.query<{ value: string }>('SELECT value FROM cached_rows WHERE id = $1', [
        key,
      ]);
      return rows[0]?.value;
    });
  }

  /** A cache of members as `<org>/<role>` by id, tagged `org:<org>`. */
  function memberCache(options: CacheOptions = {}): Promise<NotifiedCache<string>> {
    return started({ tags: (value) => [`org:${value.split('/')[0]}`], ...options }, async (key, on) => {
      const { rows } = await on.query<{ org: string; role: string }>(
        'SELECT org, role FROM members WHERE id = $1',
        [key],
      );
      return rows[0] && `${rows[0].org}/${rows[0].role}`;
    });
  }

  async function started(
    { on = pool, ...options }: CacheOptions,
    read: (key: string, on: pg.Pool) => Promise<string | undefined>,
  ): Promise<NotifiedCache<string>> {
    const created = new NotifiedCache<string>({
      pool: on,
      channel: CHANNEL,
      logger,
      ...options,
      async load(key) {
        loads.push(key);
        const value = await read(key, on);
        if (holdLoads) await new Promise<void>((resolve) => held.push(resolve));
        return value;
      },
    });
    caches.push(created);
    await created.start();
    return created;
  }

  /**
   * Runs `statements` and notifies `payload` in one transaction (as a trigger would); `beforeEnd`
   * runs inside it, after the NOTIFY, before the COMMIT (or ROLLBACK).
   */
  async function transaction(
    statements: string[],
    payload: string,
    { commit = true, beforeEnd }: { commit?: boolean; beforeEnd?: () => Promise<void> } = {},
  ) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      for (const statement of statements) await client.query(statement);
      await client.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
      await beforeEnd?.();
      await client.query(commit ? 'COMMIT' : 'ROLLBACK');
    } finally {
      client.release();
    }
  }

  /** Changes a row of `cached_rows` and notifies its key in one transaction. */
  const write = (id: string, value: string, commit = true) =>
    transaction([`UPDATE cached_rows SET value = '${value}' WHERE id = '${id}'`], id, { commit });

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
    await transaction([`UPDATE cached_rows SET value = 'eins' WHERE id = 'a'`], 'a', {
      async beforeEnd() {
        subject.invalidate('a', { untilNotified: true });
        // Before the commit: the old committed value, read from the database, not kept.
        assert.equal(await subject.get('a'), 'uno');
        assert.equal(subject.has('a'), false);
      },
    });
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
    await eventually(() => !subject.has('a'), 'the * notification', 2000);
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
  test('tags: one NOTIFY of a subject drops every entry carrying it, in this process and another', async () => {
    const here = await memberCache();
    const there = await memberCache({ on: otherPool });
    assert.equal(there.listening, true);
    for (const subject of [here, there]) {
      assert.equal(await subject.get('m1'), 'o1/admin');
      assert.equal(await subject.get('m2'), 'o1/viewer');
      assert.equal(await subject.get('m3'), 'o2/admin');
    }
    const before = loads.length;
    assert.equal(await there.get('m1'), 'o1/admin');
    assert.equal(loads.length, before, 'served from memory');
    await transaction([`UPDATE members SET role = 'viewer' WHERE id = 'm1'`], 'org:o1');
    // The other process learns it from its own LISTEN connection; this one by its barrier.
    await eventually(() => !there.has('m1') && !there.has('m2'), "o1's entries leave the other process");
    await here.sync();
    assert.equal(here.has('m1'), false);
    assert.equal(here.has('m2'), false);
    assert.equal(here.has('m3'), true, "another org's entry stays");
    assert.equal(there.has('m3'), true);
    assert.equal(await there.get('m1'), 'o1/viewer');
    assert.equal(await here.get('m1'), 'o1/viewer');
  });

  test('a load racing an invalidation of a tag of its value is not kept, nor joined by later callers', async () => {
    const subject = await memberCache();
    holdLoads = true;
    const stale = subject.get('m1');
    await eventually(() => held.length === 1, 'the load read its row');
    // Committed and notified while that load still holds what it read before.
    await transaction([`UPDATE members SET role = 'owner' WHERE id = 'm1'`], 'org:o1');
    await subject.sync();
    holdLoads = false;
    assert.equal(await subject.get('m1'), 'o1/owner', 'a later caller loads afresh');
    held.shift()?.();
    assert.equal(await stale, 'o1/viewer');
    const before = loads.length;
    assert.equal(await subject.get('m1'), 'o1/owner', 'the stale answer did not replace the fresh one');
    assert.equal(loads.length, before);

    // An invalidation of a subject the value does not carry does not stop it being kept.
    holdLoads = true;
    const unrelated = subject.get('m3');
    await eventually(() => held.length === 1, 'the load read its row');
    subject.invalidate('org:o1');
    holdLoads = false;
    held.shift()?.();
    assert.equal(await unrelated, 'o2/admin');
    assert.equal(subject.has('m3'), true);
  });

  test('missing answers: kept with missingMaxAgeMs, dropped by a NOTIFY of the key, aged apart', async () => {
    const here = await cache({ missingMaxAgeMs: 30_000 });
    const there = await cache({ missingMaxAgeMs: 30_000, on: otherPool });
    for (const subject of [here, there]) {
      assert.equal(await subject.get('c'), undefined);
      assert.equal(subject.has('c'), true);
    }
    const before = loads.length;
    assert.equal(await here.get('c'), undefined);
    assert.equal(await there.get('c'), undefined);
    assert.equal(loads.length, before, '"nothing there" served from memory');
    await transaction([`INSERT INTO cached_rows VALUES ('c', 'three')`], 'c');
    await eventually(() => !there.has('c'), 'the insert reaches the other process');
    assert.equal(await there.get('c'), 'three');
    await here.sync();
    assert.equal(await here.get('c'), 'three');

    // A missing answer ages out after missingMaxAgeMs, a value after maxAgeMs (60 s).
    assert.equal(await here.get('d'), undefined);
    mock.timers.enable({ apis: ['Date'], now: Date.now() + 31_000 });
    try {
      const now = loads.length;
      assert.equal(await here.get('d'), undefined);
      assert.equal(await here.get('c'), 'three');
      assert.deepEqual(loads.slice(now), ['d']);
    } finally {
      mock.timers.reset();
    }
  });

  test('update replaces a held value in place; untilNotified fences a tag until its commit', async () => {
    const values = await cache();
    assert.equal(await values.get('b'), 'two');
    values.update('b', 'two, touched');
    const before = loads.length;
    assert.equal(await values.get('b'), 'two, touched');
    assert.equal(loads.length, before);
    values.update('nowhere', 'x');
    assert.equal(values.has('nowhere'), false);

    const members = await memberCache();
    assert.equal(await members.get('m2'), 'o1/viewer');
    await transaction([`UPDATE members SET role = 'developer' WHERE id = 'm2'`], 'org:o1', {
      async beforeEnd() {
        members.invalidate('org:o1', { untilNotified: true });
        // Before the commit: the committed row, read each time, not kept.
        assert.equal(await members.get('m2'), 'o1/viewer');
        assert.equal(members.has('m2'), false);
      },
    });
    await members.sync();
    assert.equal(await members.get('m2'), 'o1/developer');
    assert.equal(members.has('m2'), true);
  });
});
