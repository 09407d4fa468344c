import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Generated, sql } from 'kysely';
import type pg from 'pg';
import pino from 'pino';
import { InProcessTransport } from '../src/bus/in-process-transport.js';
import type { BusMessage, MessageTransport } from '../src/bus/message-transport.js';
import { DEFAULT_EXCHANGE, Outbox } from '../src/bus/outbox.js';
import { createDatabase, createPool, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const migrations = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

/** Resolves when `check` holds; the deadline only guards against a hung test. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, deadlineMs = 10_000) {
  const until = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface ServiceDb {
  orders: { id: Generated<number>; item: string };
}

describe('Outbox', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let service: Database<ServiceDb>;
  const relays: Outbox[] = [];
  const pools: pg.Pool[] = [];

  function relay(
    transport: MessageTransport,
    options: { pool?: pg.Pool; batchSize?: number; retryDelayMs?: number } = {},
  ): Outbox {
    const outbox = new Outbox({
      pool: options.pool ?? pool,
      logger,
      transport,
      pollIntervalMs: 50,
      retryDelayMs: options.retryDelayMs ?? 20,
      ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    });
    relays.push(outbox);
    return outbox;
  }

  function newPool(applicationName?: string): pg.Pool {
    const created = createPool({
      url: database.url,
      schema: 'app',
      max: 4,
      ...(applicationName ? { applicationName } : {}),
    });
    pools.push(created);
    return created;
  }

  async function outboxRow(messageId: string) {
    const { rows } = await pool.query(
      'SELECT published_at, attempts, last_error FROM platform.outbox WHERE message_id = $1',
      [messageId],
    );
    return rows[0] as { published_at: Date | null; attempts: number; last_error: string | null } | undefined;
  }

  before(async () => {
    database = await createTestDatabase('bus-outbox');
    await migrate(database.url, 'platform', migrations);
    // The service's own schema and pool: the outbox reaches `platform` by its qualified name.
    service = createDatabase<ServiceDb>({ url: database.url, schema: 'app' });
    await service.pool.query(
      'CREATE SCHEMA app; CREATE TABLE app.orders (id serial PRIMARY KEY, item text NOT NULL)',
    );
    pool = newPool();
  });

  after(async () => {
    await Promise.all(relays.map((outbox) => outbox.stop()));
    await service.close();
    await Promise.all(pools.map((p) => p.end()));
    await database.drop();
  });

  test('a message published in a committed transaction reaches the subscriber', async () => {
    const transport = new InProcessTransport();
    const received: BusMessage[] = [];
    await transport.subscribe('account.events', 'email.*', async (message) => {
      received.push(message);
    });
    const outbox = relay(transport);
    await outbox.start();

    const messageId = await service.transaction(async (trx) => {
      await trx.insertInto('orders').values({ item: 'book' }).execute();
      return outbox.publish(trx, {
        exchange: 'account.events',
        topic: 'email.requested',
        payload: { to: 'a@example.com', tags: ['x', 'y'] },
        headers: { 'x-source': 'account' },
      });
    });

    await eventually(() => received.length === 1, 'delivery');
    assert.deepEqual(received[0], {
      exchange: 'account.events',
      topic: 'email.requested',
      payload: { to: 'a@example.com', tags: ['x', 'y'] },
      headers: { 'x-source': 'account' },
      messageId,
    });
    await eventually(async () => (await outboxRow(messageId))?.published_at != null, 'published_at');
    await outbox.stop();
  });

  test('a deleteOnPublish message is delivered and its row deleted; a failed attempt keeps it for the retry', async () => {
    const transport = new InProcessTransport();
    const received: BusMessage[] = [];
    let failNext = true;
    await transport.subscribe('account.events', 'secret.*', async (message) => {
      if (failNext) {
        failNext = false;
        throw new Error('consumer down');
      }
      received.push(message);
    });
    const outbox = relay(transport);
    const secret = await outbox.publish(pool, {
      exchange: 'account.events',
      topic: 'secret.requested',
      payload: { token: 'one-time-token' },
      deleteOnPublish: true,
    });
    const plain = await outbox.publish(pool, {
      exchange: 'account.events',
      topic: 'secret.plain',
      payload: { note: 'kept' },
    });
    // The first attempt fails for one of them: a row still to deliver is kept, whatever its flag.
    await outbox.relayPending();
    const survivors = await pool.query('SELECT message_id FROM platform.outbox WHERE message_id = ANY($1)', [
      [secret, plain],
    ]);
    assert.equal(survivors.rowCount, 2, 'nothing deleted before it is delivered');

    await pool.query('UPDATE platform.outbox SET next_attempt_at = now() WHERE message_id = ANY($1)', [
      [secret, plain],
    ]);
    await outbox.relayPending();
    assert.deepEqual(received.map((message) => message.messageId).sort(), [secret, plain].sort());
    assert.deepEqual(received.find((message) => message.messageId === secret)?.payload, {
      token: 'one-time-token',
    });
    assert.equal(await outboxRow(secret), undefined, 'the token left the database once delivered');
    assert.ok((await outboxRow(plain))?.published_at, 'an ordinary message is kept, marked published');
    const leftovers = await pool.query(
      `SELECT count(*)::int AS n FROM platform.outbox WHERE payload::text LIKE '%one-time-token%'`,
    );
    assert.equal(leftovers.rows[0].n, 0);
  });

  test('a message published in a rolled-back transaction is never delivered', async () => {
    const transport = new InProcessTransport();
    const received: string[] = [];
    await transport.subscribe(DEFAULT_EXCHANGE, 'rollback.*', async (message) => {
      received.push(message.messageId);
    });
    const outbox = relay(transport);
    await outbox.start();

    const client = await pool.connect();
    let rolledBack: string;
    try {
      await client.query('BEGIN');
      rolledBack = await outbox.publish(client, { topic: 'rollback.created', payload: { id: 1 } });
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    // A later committed message is delivered: the relay has seen everything before it.
    const committed = await outbox.publish(pool, { topic: 'rollback.created', payload: { id: 2 } });
    await eventually(() => received.includes(committed), 'the committed message');
    assert.deepEqual(received, [committed]);
    assert.equal(await outboxRow(rolledBack), undefined);
    await outbox.stop();
  });

  test('a message committed while no relay runs is delivered when a relay starts (crash before relay)', async () => {
    const publisher = relay(new InProcessTransport()); // never started: as if the process died after COMMIT
    const messageId = await service.transaction((trx) =>
      publisher.publish(trx, { topic: 'crash.created', payload: { id: 3 } }),
    );
    assert.equal((await outboxRow(messageId))?.published_at, null);

    const transport = new InProcessTransport();
    const received: string[] = [];
    await transport.subscribe(DEFAULT_EXCHANGE, 'crash.*', async (message) => {
      received.push(message.messageId);
    });
    const restarted = relay(transport, { pool: newPool() });
    await restarted.start();
    await eventually(() => received.includes(messageId), 'delivery after restart');
    assert.deepEqual(received, [messageId]);
    await restarted.stop();
  });

  test('a relay that dies while publishing releases its claim; another relay sends the message', async () => {
    let releaseStuck: () => void = () => undefined;
    let claimed = false;
    // Hangs on the first message, as a process that dies mid-publish would.
    const stuckTransport: MessageTransport = {
      publish: async () => {
        if (claimed) return;
        claimed = true;
        await new Promise<void>((resolve) => {
          releaseStuck = resolve;
        });
      },
      subscribe: async () => async () => undefined,
      close: async () => undefined,
    };
    const doomedPool = newPool('outbox-doomed-relay');
    const doomed = relay(stuckTransport, { pool: doomedPool });
    const messageId = await doomed.publish(pool, { topic: 'doomed.created', payload: { id: 4 } });
    await doomed.start();
    await eventually(() => claimed, 'the doomed relay to claim the message');

    const transport = new InProcessTransport();
    const received: string[] = [];
    await transport.subscribe(DEFAULT_EXCHANGE, 'doomed.*', async (message) => {
      received.push(message.messageId);
    });
    const survivor = relay(transport);
    await survivor.start();
    // The row is locked by the doomed relay: the survivor skips it.
    await survivor.relayPending();
    assert.equal(received.length, 0);

    await pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'outbox-doomed-relay'",
    );
    await eventually(() => received.includes(messageId), 'delivery by the surviving relay');
    assert.deepEqual(received, [messageId]);
    releaseStuck();
    await doomed.stop();
    await survivor.stop();
  });

  test('a failing subscriber makes the relay retry later, until delivered', async () => {
    const transport = new InProcessTransport();
    let calls = 0;
    const delivered: string[] = [];
    await transport.subscribe(DEFAULT_EXCHANGE, 'flaky.#', async (message) => {
      calls += 1;
      if (calls <= 2) throw new Error(`subscriber down (${calls})`);
      delivered.push(message.messageId);
    });
    const outbox = relay(transport);
    await outbox.start();
    const messageId = await outbox.publish(pool, { topic: 'flaky.event', payload: {} });
    await eventually(() => delivered.length === 1, 'delivery after retries');
    assert.deepEqual(delivered, [messageId]);
    assert.equal(calls, 3);
    await eventually(async () => (await outboxRow(messageId))?.published_at != null, 'published_at');
    const row = await outboxRow(messageId);
    assert.equal(row?.attempts, 3);
    assert.equal(row?.last_error, null);
    await outbox.stop();
  });

  test('a failed attempt is recorded with its error and a later next attempt', async () => {
    const failing: MessageTransport = {
      publish: async () => {
        throw new Error('broker unavailable');
      },
      subscribe: async () => async () => undefined,
      close: async () => undefined,
    };
    // A retry delay far beyond the test's duration: "later" does not depend on how fast the machine is.
    const outbox = relay(failing, { retryDelayMs: 3_600_000 });
    const messageId = await outbox.publish(pool, { topic: 'never.sent', payload: {} });
    assert.equal(await outbox.relayPending(), 0);
    const { rows } = await pool.query(
      'SELECT attempts, last_error, next_attempt_at > now() AS later FROM platform.outbox WHERE message_id = $1',
      [messageId],
    );
    assert.deepEqual(rows[0], { attempts: 1, last_error: 'Error: broker unavailable', later: true });
    // Not due yet: a second pass does not try again.
    assert.equal(await outbox.relayPending(), 0);
    const again = await pool.query('SELECT attempts FROM platform.outbox WHERE message_id = $1', [messageId]);
    assert.equal(again.rows[0].attempts, 1);
    await pool.query('DELETE FROM platform.outbox WHERE message_id = $1', [messageId]);
  });

  test('two relays running at once deliver each message exactly once', async () => {
    const transport = new InProcessTransport();
    const counts = new Map<string, number>();
    await transport.subscribe(DEFAULT_EXCHANGE, 'burst.*', async (message) => {
      counts.set(message.messageId, (counts.get(message.messageId) ?? 0) + 1);
    });
    const first = relay(transport, { pool: newPool(), batchSize: 7 });
    const second = relay(transport, { pool: newPool(), batchSize: 7 });
    await Promise.all([first.start(), second.start()]);

    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch += 1) {
      const published = await service.transaction(async (trx) => {
        const inBatch: string[] = [];
        for (let i = 0; i < 20; i += 1)
          inBatch.push(await first.publish(trx, { topic: 'burst.item', payload: { batch, i } }));
        return inBatch;
      });
      ids.push(...published);
    }
    await eventually(() => counts.size === ids.length, 'every message');
    await Promise.all([first.stop(), second.stop()]);
    assert.deepEqual(
      ids.filter((id) => counts.get(id) !== 1),
      [],
    );
  });

  test('publishing the same messageId twice records it once', async () => {
    const outbox = relay(new InProcessTransport());
    const messageId = crypto.randomUUID();
    await outbox.publish(pool, { topic: 'dedupe.me', payload: { n: 1 }, messageId });
    await outbox.publish(pool, { topic: 'dedupe.me', payload: { n: 2 }, messageId });
    const { rows } = await pool.query('SELECT payload FROM platform.outbox WHERE message_id = $1', [
      messageId,
    ]);
    assert.deepEqual(rows, [{ payload: { n: 1 } }]);
  });

  test('publishMany records several messages in the caller transaction, in order, each once', async () => {
    const transport = new InProcessTransport();
    const received: BusMessage[] = [];
    await transport.subscribe('many.events', '#', async (message) => {
      received.push(message);
    });
    const outbox = relay(transport);
    await outbox.start();
    const known = crypto.randomUUID();
    await outbox.publish(pool, {
      exchange: 'many.events',
      topic: 'known.one',
      payload: { n: 0 },
      messageId: known,
    });
    const ids = await service.transaction(async (trx) =>
      outbox.publishMany(trx, [
        { exchange: 'many.events', topic: 'item.a', payload: { n: 1 }, headers: { h: '1' } },
        { exchange: 'many.events', topic: 'item.b', payload: [1, 'two'], messageId: known },
        { exchange: 'many.events', topic: 'item.c', payload: null, deleteOnPublish: true },
      ]),
    );
    assert.equal(ids.length, 3);
    assert.equal(ids[1], known);
    await eventually(() => received.length === 3, 'the three distinct messages');
    assert.deepEqual(
      received.map((message) => [message.topic, message.payload, message.messageId]).sort(),
      [
        ['item.a', { n: 1 }, ids[0]],
        ['item.c', null, ids[2]],
        ['known.one', { n: 0 }, known],
      ].sort(),
    );
    assert.deepEqual(received.find((message) => message.topic === 'item.a')?.headers, { h: '1' });
    const rolledBack = crypto.randomUUID();
    await assert.rejects(
      service.transaction(async (trx) => {
        await outbox.publishMany(trx, [
          { exchange: 'many.events', topic: 'item.d', payload: {}, messageId: rolledBack },
        ]);
        throw new Error('abort');
      }),
    );
    assert.equal(await outboxRow(rolledBack), undefined);
    await assert.rejects(outbox.publishMany(pool, [{ topic: 'bad topic', payload: {} }]), TypeError);
    await outbox.stop();
  });

  test('publishManyWhere publishes, in the caller statement, the events of exactly the rows it changed', async () => {
    const transport = new InProcessTransport();
    const received: BusMessage[] = [];
    await transport.subscribe('where.events', '#', async (message) => {
      received.push(message);
    });
    // Polling once a minute: only the statement's NOTIFY can wake this relay within the test.
    const outbox = new Outbox({ pool, logger, transport, pollIntervalMs: 60_000 });
    relays.push(outbox);
    await outbox.start();
    const entries = (items: string[]) =>
      items.map((item) => ({
        key: item,
        message: { exchange: 'where.events', topic: `ordered.${item}`, payload: { item } },
      }));
    // Events are offered for three items; the statement orders two of them.
    const { rows } = await sql<{ item: string }>`
      WITH ordered AS (INSERT INTO orders (item) SELECT unnest(${['pen', 'pad']}::text[]) RETURNING item),
           events AS (${outbox.publishManyWhere(entries(['pen', 'ink', 'pad']), sql`SELECT item FROM ordered`)})
      SELECT item FROM ordered`.execute(service.kysely);
    assert.equal(rows.length, 2);
    await eventually(() => received.length === 2, 'the events of the two orders');
    assert.deepEqual(received.map((message) => message.topic).sort(), ['ordered.pad', 'ordered.pen']);
    assert.deepEqual(received.find((message) => message.topic === 'ordered.pen')?.payload, { item: 'pen' });

    // A statement that fails leaves no event behind.
    const failed = crypto.randomUUID();
    await assert.rejects(
      sql`
        WITH ordered AS (INSERT INTO orders (item) VALUES ('ink') RETURNING item),
             events AS (${outbox.publishManyWhere(
               [
                 {
                   key: 'ink',
                   message: {
                     exchange: 'where.events',
                     topic: 'ordered.ink',
                     payload: {},
                     messageId: failed,
                   },
                 },
               ],
               sql`SELECT item FROM ordered`,
             )})
        SELECT 1 / 0`.execute(service.kysely),
    );
    assert.equal(await outboxRow(failed), undefined);
    assert.throws(
      () =>
        outbox.publishManyWhere(
          [{ key: 'x', message: { topic: 'bad topic', payload: {} } }],
          sql`SELECT 'x'`,
        ),
      TypeError,
    );
    await outbox.stop();
  });

  test('expedite makes the waiting messages of an exchange due now (their queue was just declared)', async () => {
    let accepting = false;
    const delivered: string[] = [];
    const transport: MessageTransport = {
      publish: async (message) => {
        if (!accepting) throw new Error('no queue bound yet');
        delivered.push(message.messageId);
      },
      subscribe: async () => async () => undefined,
      close: async () => undefined,
    };
    // A first retry a minute away: without expedite the message would wait that long.
    const outbox = new Outbox({ pool, logger, transport, pollIntervalMs: 50, retryDelayMs: 60_000 });
    relays.push(outbox);
    const waiting = await outbox.publish(pool, { exchange: 'late.queues', topic: 'a.b', payload: {} });
    const other = await outbox.publish(pool, { exchange: 'other.exchange', topic: 'a.b', payload: {} });
    await outbox.start();
    await eventually(async () => (await outboxRow(waiting))?.attempts === 1, 'a failed first attempt');
    accepting = true;
    assert.equal(await outbox.expedite('late.queues'), 1);
    await eventually(() => delivered.includes(waiting), 'delivered without waiting for the retry');
    assert.equal(delivered.includes(other), false, 'another exchange keeps its schedule');
    assert.equal(await outbox.expedite('late.queues'), 0);
    await outbox.stop();
  });

  test('rejects a topic with wildcards or spaces', async () => {
    const outbox = relay(new InProcessTransport());
    await assert.rejects(outbox.publish(pool, { topic: 'email.*', payload: {} }), TypeError);
    await assert.rejects(outbox.publish(pool, { topic: '', payload: {} }), TypeError);
  });

  test('start and stop are idempotent; start after stop resumes relaying', async () => {
    const transport = new InProcessTransport();
    const received: string[] = [];
    await transport.subscribe(DEFAULT_EXCHANGE, 'restart.*', async (message) => {
      received.push(message.messageId);
    });
    const outbox = relay(transport);
    await Promise.all([outbox.start(), outbox.start()]);
    await Promise.all([outbox.stop(), outbox.stop()]);
    await outbox.stop();
    const messageId = await outbox.publish(pool, { topic: 'restart.me', payload: {} });
    await outbox.start();
    await eventually(() => received.includes(messageId), 'delivery after restart');
    await outbox.stop();
  });
});
