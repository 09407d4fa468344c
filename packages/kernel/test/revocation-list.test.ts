import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import pino from 'pino';
import { REDIS_REVOCATION_CHANNEL, type Revocation, RevocationList } from '../src/auth/revocation-list.js';
import { createDatabase, createPool, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { createRedisClient } from '../src/ratelimit/redis-client.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';
import { eventually } from '../src/testkit/eventually.js';
import { type ExternalServer, hasRedisServer, startRedisServer } from '../src/testkit/external-servers.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const migrations = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'migrations');
const withRedis = hasRedisServer();
/** Reloads never happen by themselves in these tests: what arrives came through a channel. */
const NO_RELOAD = 10 * 60_000;

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000);

describe('RevocationList', () => {
  let database: TestDatabase;
  const pools: pg.Pool[] = [];
  const lists: RevocationList[] = [];
  const redisClients: { disconnect(): void }[] = [];
  let issuerDb: Database<unknown>;

  /** One "process": its own pool and its own list, as two services in two processes would have. */
  async function processList(options: { listen?: boolean; redisUrl?: string } = {}): Promise<RevocationList> {
    const pool = createPool({ url: database.url, schema: 'platform', max: 3 });
    pools.push(pool);
    const redis = options.redisUrl ? createRedisClient(options.redisUrl) : undefined;
    if (redis) redisClients.push(redis);
    const list = new RevocationList({
      pool,
      logger,
      reloadIntervalMs: NO_RELOAD,
      ...(options.listen === undefined ? {} : { listen: options.listen }),
      ...(redis ? { redis } : {}),
    });
    lists.push(list);
    await list.start();
    return list;
  }

  /** Writes revocations the way an issuer does: in its own transaction, announced after the commit. */
  async function revokeInTransaction(list: RevocationList, revocations: Revocation[]): Promise<Revocation[]> {
    const recorded = await issuerDb.transaction((trx) => list.record(trx, revocations, 'test'));
    list.announce(recorded);
    return recorded;
  }

  before(async () => {
    database = await createTestDatabase('revocations');
    await migrate(database.url, 'platform', migrations);
    issuerDb = createDatabase({ url: database.url, schema: 'issuer' });
  });
  after(async () => {
    for (const list of lists) await list.stop();
    for (const pool of pools) await pool.end();
    await issuerDb.close();
    await database.drop();
  });

  test('refuses to answer before it has loaded', async () => {
    const pool = createPool({ url: database.url, schema: 'platform', max: 1 });
    pools.push(pool);
    const list = new RevocationList({ pool, logger });
    assert.throws(() => list.isRevoked({ jti: 'x' }), /not loaded/);
  });

  test('announce applies in the writing process at once', async () => {
    const list = await processList();
    const jti = randomUUID();
    await revokeInTransaction(list, [{ kind: 'token', id: jti, until: inMinutes(15) }]);
    assert.equal(list.isRevoked({ jti }), true);
    assert.equal(list.isRevoked({ jti: randomUUID() }), false);
    assert.equal(list.isRevoked({ sid: jti }), false, 'kinds do not mix');
  });

  test('another process learns a committed revocation by NOTIFY within a second', async () => {
    const writer = await processList();
    const reader = await processList();
    assert.equal(reader.listening, true);
    const sid = randomUUID();
    const jti = randomUUID();
    // Recorded and committed, never announced: only the NOTIFY can carry it to the reader.
    await issuerDb.transaction((trx) =>
      writer.record(trx, [
        { kind: 'session', id: sid, until: inMinutes(16) },
        { kind: 'token', id: jti, until: inMinutes(15) },
      ]),
    );
    await eventually(() => reader.isRevoked({ sid }), 'the NOTIFY reaches the reader', 1000);
    assert.equal(reader.isRevoked({ jti }), true);
    assert.equal(
      reader.isRevoked({ jti: randomUUID(), sid }),
      true,
      'a session revokes every token naming it',
    );
  });

  test('a rolled-back transaction revokes nothing, anywhere', async () => {
    const writer = await processList();
    const reader = await processList();
    const sid = randomUUID();
    await assert.rejects(
      issuerDb.transaction(async (trx) => {
        await writer.record(trx, [{ kind: 'session', id: sid, until: inMinutes(16) }]);
        throw new Error('the action failed after recording');
      }),
      /action failed/,
    );
    // A later revocation proves the reader's channel works; the rolled-back one never arrives.
    const marker = randomUUID();
    await issuerDb.transaction((trx) =>
      writer.record(trx, [{ kind: 'token', id: marker, until: inMinutes(1) }]),
    );
    await eventually(() => reader.isRevoked({ jti: marker }), 'the marker reaches the reader', 5000);
    await reader.reload();
    assert.equal(reader.isRevoked({ sid }), false);
    assert.equal(writer.isRevoked({ sid }), false);
  });

  test('a process that cannot LISTEN catches up at its reload; a new process loads everything live', async () => {
    const writer = await processList();
    const deaf = await processList({ listen: false });
    assert.equal(deaf.listening, false);
    const sid = randomUUID();
    await revokeInTransaction(writer, [{ kind: 'session', id: sid, until: inMinutes(16) }]);
    assert.equal(deaf.isRevoked({ sid }), false, 'no channel reached it yet');
    await deaf.reload();
    assert.equal(deaf.isRevoked({ sid }), true);
    const late = await processList({ listen: false });
    assert.equal(late.isRevoked({ sid }), true);
  });

  test('entries end with the tokens they guard; expired rows are not loaded', async () => {
    const list = await processList();
    assert.deepEqual(
      await issuerDb.transaction((trx) =>
        list.record(trx, [{ kind: 'token', id: randomUUID(), until: new Date(Date.now() - 1000) }]),
      ),
      [],
      'a revocation of an already expired token is not stored',
    );
    const jti = randomUUID();
    await revokeInTransaction(list, [{ kind: 'token', id: jti, until: new Date(Date.now() + 300) }]);
    assert.equal(list.isRevoked({ jti }), true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(list.isRevoked({ jti }), false, 'the token it guarded has expired by now');
    const fresh = await processList({ listen: false });
    assert.equal(fresh.isRevoked({ jti }), false);
  });

  test('revoking hundreds of sessions at once crosses NOTIFY in several payloads', async () => {
    const writer = await processList();
    const reader = await processList();
    const sessions = Array.from({ length: 600 }, () => randomUUID());
    await issuerDb.transaction((trx) =>
      writer.record(
        trx,
        sessions.map((id) => ({ kind: 'session' as const, id, until: inMinutes(16) })),
      ),
    );
    await eventually(
      () => sessions.every((sid) => reader.isRevoked({ sid })),
      'every session reaches the reader',
      5000,
    );
  });

  test('a LISTEN connection lost is re-established, and what was missed meanwhile is loaded', async () => {
    const writer = await processList();
    const reader = await processList();
    const { rows } = await pools[0]!.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN platform_revocations%'`,
    );
    assert.ok(rows.length >= 2);
    await pools[0]!.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [
      rows.map((row) => row.pid),
    ]);
    const sid = randomUUID();
    await issuerDb.transaction((trx) =>
      writer.record(trx, [{ kind: 'session', id: sid, until: inMinutes(16) }]),
    );
    await eventually(() => reader.isRevoked({ sid }), 'the revocation after the reconnection', 15_000);
    await eventually(() => reader.listening, 'the reader listens again', 15_000);
  });

  test('a restart while a periodic reload is in flight leaves one reload chain, not two', async () => {
    const pool = createPool({ url: database.url, schema: 'platform', max: 2 });
    pools.push(pool);
    const list = new RevocationList({ pool, logger, reloadIntervalMs: 5, listen: false });
    lists.push(list);
    await list.start();
    // Each reload chain has at most one reload in flight, so the reloads held at once count the chains.
    let holding = true;
    const held: (() => void)[] = [];
    const reload = list.reload.bind(list);
    list.reload = () =>
      holding
        ? new Promise<void>((resolve) => held.push(() => void reload().then(resolve, resolve)))
        : reload();
    await eventually(() => held.length === 1, 'one reload held', 5000);
    holding = false;
    await list.stop();
    await list.start();
    holding = true;
    held.shift()?.();
    await eventually(() => held.length >= 1, 'a reload held after the restart', 5000);
    // A second chain (the stopped run's reload scheduling its next tick) would be held here too.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(held.length, 1);
    holding = false;
    for (const release of held.splice(0)) release();
    await list.stop();
  });

  test('stopped while it subscribes on Redis, it leaves no subscriber behind', {
    skip: withRedis ? false : 'redis-server is not installed (apt-get install redis-server)',
  }, async () => {
    let redisServer: ExternalServer | undefined;
    try {
      redisServer = await startRedisServer();
      const pool = createPool({ url: database.url, schema: 'platform', max: 2 });
      pools.push(pool);
      const redis = createRedisClient(redisServer.url);
      redisClients.push(redis);
      const list = new RevocationList({ pool, logger, reloadIntervalMs: NO_RELOAD, listen: false, redis });
      // Without LISTEN, start() goes straight to the Redis SUBSCRIBE; stop() lands while it is sent.
      const starting = list.start();
      await list.stop();
      await starting;
      const subscribers = async () =>
        ((await redis.pubsub('NUMSUB', REDIS_REVOCATION_CHANNEL)) as [string, number])[1];
      // A disconnect reaches the server a moment later; a leaked subscriber stays.
      const deadline = Date.now() + 5000;
      while ((await subscribers()) !== 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(await subscribers(), 0);
    } finally {
      for (const client of redisClients.splice(0)) client.disconnect();
      await redisServer?.stop();
    }
  });

  test('with Redis, a process that cannot LISTEN learns a revocation within a second', {
    skip: withRedis ? false : 'redis-server is not installed (apt-get install redis-server)',
  }, async () => {
    let redisServer: ExternalServer | undefined;
    try {
      redisServer = await startRedisServer();
      const writer = await processList({ redisUrl: redisServer.url });
      const deaf = await processList({ redisUrl: redisServer.url, listen: false });
      const jti = randomUUID();
      await revokeInTransaction(writer, [{ kind: 'token', id: jti, until: inMinutes(15) }]);
      await eventually(() => deaf.isRevoked({ jti }), 'the Redis message reaches the deaf list', 1000);
    } finally {
      for (const list of lists.splice(0)) await list.stop();
      for (const client of redisClients.splice(0)) client.disconnect();
      await redisServer?.stop();
    }
  });
});
