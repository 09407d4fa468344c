import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import amqplib from 'amqplib';
import type pg from 'pg';
import pino from 'pino';
import { AmqpTransport } from '../src/bus/amqp-transport.js';
import type { BusMessage } from '../src/bus/message-transport.js';
import { Outbox } from '../src/bus/outbox.js';
import { createPool } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';
import { type ExternalServer, hasRabbitMqServer, startRabbitMq } from '../src/testkit/external-servers.js';

const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');
const logger = pino({ level: 'silent' });

function message(topic: string, payload: unknown, exchange = 'trustplane.test'): BusMessage {
  return { exchange, topic, payload, headers: {}, messageId: crypto.randomUUID() };
}

async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Against a real RabbitMQ node (Debian's rabbitmq-server, installed by .ci/run).
describe('AMQP transport on a real RabbitMQ', {
  skip: !hasRabbitMqServer() && 'rabbitmq-server is not installed',
}, () => {
  let broker: ExternalServer;
  let transport: AmqpTransport;
  before(async () => {
    broker = await startRabbitMq();
    transport = await AmqpTransport.connect({ url: broker.url, logger });
  });
  after(async () => {
    await transport?.close();
    await broker?.stop();
  });

  test('routes by topic pattern to every matching subscriber', async () => {
    const emails: BusMessage[] = [];
    const everything: BusMessage[] = [];
    const stopEmails = await transport.subscribe('trustplane.test', 'email.*', async (m) => {
      emails.push(m);
    });
    const stopAll = await transport.subscribe('trustplane.test', '#', async (m) => {
      everything.push(m);
    });
    await transport.publish(message('email.requested', { to: 'ada@example.com' }));
    await transport.publish(message('user.created', { id: 1 }));
    await eventually(() => everything.length === 2 && emails.length === 1);
    assert.equal(emails[0]!.topic, 'email.requested');
    assert.deepEqual(emails[0]!.payload, { to: 'ada@example.com' });
    await stopEmails();
    await stopAll();
  });

  test('subscribers of one named queue share its messages, each delivered once', async () => {
    const seen: string[][] = [[], []];
    const stops = await Promise.all(
      [0, 1].map((index) =>
        transport.subscribe(
          'trustplane.test',
          'job.#',
          async (m) => {
            seen[index]!.push(m.messageId);
          },
          { queue: 'test.jobs' },
        ),
      ),
    );
    const sent = Array.from({ length: 20 }, (_, index) => message('job.run', { index }));
    for (const m of sent) await transport.publish(m);
    await eventually(() => seen[0]!.length + seen[1]!.length === 20);
    const all = [...seen[0]!, ...seen[1]!].sort();
    assert.deepEqual(all, sent.map((m) => m.messageId).sort());
    for (const stop of stops) await stop();
  });

  test('a failing handler gets the message again, then it is dead-lettered', async () => {
    let attempts = 0;
    const stop = await transport.subscribe(
      'trustplane.test',
      'poison.*',
      async () => {
        attempts += 1;
        throw new Error('cannot handle');
      },
      { queue: 'test.poison' },
    );
    await transport.publish(message('poison.pill', { bad: true }));
    await eventually(() => attempts === 2);
    await stop();
    const connection = await amqplib.connect(broker.url);
    const channel = await connection.createChannel();
    let dead: amqplib.GetMessage | false = false;
    for (let i = 0; i < 50 && !dead; i += 1) {
      dead = await channel.get('test.poison.dead', { noAck: true });
      if (!dead) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await connection.close();
    assert.ok(dead, 'the message reached the dead-letter queue');
    assert.deepEqual(JSON.parse((dead as amqplib.GetMessage).content.toString()), { bad: true });
    assert.equal(attempts, 2);
  });

  test('priority and per-message expiration reach the broker: an expired message is dead-lettered', async () => {
    const connection = await amqplib.connect(broker.url);
    try {
      const channel = await connection.createChannel();
      await channel.assertExchange('trustplane.delay', 'topic', { durable: true });
      await channel.assertQueue('test.expired', { durable: true });
      await channel.assertQueue('test.delay', {
        durable: true,
        arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'test.expired' },
      });
      await channel.bindQueue('test.delay', 'trustplane.delay', 'wait');
      const sent = { ...message('wait', { n: 1 }, 'trustplane.delay'), priority: 2, expirationMs: 200 };
      await transport.publish(sent);
      let expired: amqplib.GetMessage | false = false;
      for (let i = 0; i < 100 && !expired; i += 1) {
        expired = await channel.get('test.expired', { noAck: true });
        if (!expired) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(expired, 'the message expired out of its queue into the dead-letter queue');
      assert.equal(expired.properties.messageId, sent.messageId);
      assert.equal(expired.properties.priority, 2);
      const deaths = expired.properties.headers?.['x-death'] as { queue: string; reason: string }[];
      assert.deepEqual([deaths[0]?.queue, deaths[0]?.reason], ['test.delay', 'expired']);
    } finally {
      await connection.close();
    }
  });

  describe('outbox relayed to RabbitMQ', () => {
    let database: TestDatabase;
    let pool: pg.Pool;
    before(async () => {
      database = await createTestDatabase('amqp_outbox');
      await migrate(database.url, 'platform', MIGRATIONS);
      pool = createPool({ url: database.url, schema: 'platform' });
    });
    after(async () => {
      await pool.end();
      await database.drop();
    });

    test('a message committed with the data reaches a RabbitMQ subscriber', async () => {
      const received: BusMessage[] = [];
      const stop = await transport.subscribe('account.events', 'email.requested', async (m) => {
        received.push(m);
      });
      const outbox = new Outbox({ pool, logger, transport, pollIntervalMs: 100 });
      const client = await pool.connect();
      let messageId: string;
      try {
        await client.query('BEGIN');
        messageId = await outbox.publish(client, {
          exchange: 'account.events',
          topic: 'email.requested',
          payload: { template: 'verify-email', to: 'ada@example.com' },
        });
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      await outbox.start();
      await eventually(() => received.length === 1);
      await outbox.stop();
      await stop();
      assert.equal(received[0]!.messageId, messageId);
      assert.deepEqual(received[0]!.payload, { template: 'verify-email', to: 'ada@example.com' });
    });

    test('a mandatory message returned while no queue was bound goes out as soon as a consumer binds one, not at its next retry', async () => {
      // A long backoff: only the binding can make it arrive within the test's wait.
      const outbox = new Outbox({ pool, logger, transport, pollIntervalMs: 100, retryDelayMs: 60_000 });
      const [id] = await outbox.publishMany(pool, [
        {
          exchange: 'trustplane.late-consumer',
          topic: 'email.requested',
          payload: { n: 1 },
          mandatory: true,
        },
      ]);
      await outbox.start();
      try {
        for (let i = 0; ; i += 1) {
          const { rows } = await pool.query('SELECT attempts FROM outbox WHERE message_id = $1', [id]);
          if (rows[0]?.attempts >= 1) break;
          if (i > 200) throw new Error('the broker never returned the message');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        // Another process's transport, as the platform wires it: binding expedites the outbox.
        const consumer = await AmqpTransport.connect({
          url: broker.url,
          logger,
          onBound: (exchange) => outbox.expedite(exchange),
        });
        try {
          const received: BusMessage[] = [];
          const stop = await consumer.subscribe(
            'trustplane.late-consumer',
            'email.requested',
            async (m) => {
              received.push(m);
            },
            { queue: 'test.late-consumer' },
          );
          await eventually(() => received.length === 1);
          await stop();
          assert.equal(received[0]!.messageId, id);
        } finally {
          await consumer.close();
        }
      } finally {
        await outbox.stop();
      }
    });

    test('the outbox keeps priority and per-message expiration until the relay publishes', async () => {
      const connection = await amqplib.connect(broker.url);
      try {
        const channel = await connection.createChannel();
        await channel.assertExchange('trustplane.outbox-delay', 'topic', { durable: true });
        await channel.assertQueue('test.outbox-expired', { durable: true });
        await channel.assertQueue('test.outbox-delay', {
          durable: true,
          arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'test.outbox-expired' },
        });
        await channel.bindQueue('test.outbox-delay', 'trustplane.outbox-delay', 'wait');
        const outbox = new Outbox({ pool, logger, transport, pollIntervalMs: 100 });
        const [id] = await outbox.publishMany(pool, [
          {
            exchange: 'trustplane.outbox-delay',
            topic: 'wait',
            payload: { n: 2 },
            priority: 3,
            expirationMs: 150,
          },
        ]);
        await outbox.start();
        let expired: amqplib.GetMessage | false = false;
        for (let i = 0; i < 100 && !expired; i += 1) {
          expired = await channel.get('test.outbox-expired', { noAck: true });
          if (!expired) await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await outbox.stop();
        assert.ok(expired, 'relayed, then expired into the dead-letter queue');
        assert.equal(expired.properties.messageId, id);
        assert.equal(expired.properties.priority, 3);
      } finally {
        await connection.close();
      }
    });
  });
});
