import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import pino from 'pino';
import { type AmqpConnection, AmqpTransport } from '../src/bus/amqp-transport.js';
import { createTransport } from '../src/bus/create-transport.js';
import { freePort } from '../src/db/embedded-postgres.js';
import { InProcessTransport } from '../src/bus/in-process-transport.js';
import {
  type BusMessage,
  MessageHandlingError,
  TransportClosedError,
  topicMatches,
} from '../src/bus/message-transport.js';
import { TimeoutError } from '../src/bus/with-timeout.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

function message(topic: string, payload: unknown = { n: 1 }, exchange = 'account.events'): BusMessage {
  return { exchange, topic, payload, headers: { 'x-source': 'test' }, messageId: crypto.randomUUID() };
}

/** Resolves when `check` holds; the deadline only guards against a hung test. */
async function eventually(check: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('topic patterns (AMQP topic exchange semantics)', () => {
  const cases: [string, string, boolean][] = [
    ['email.requested', 'email.requested', true],
    ['email.requested', 'email.sent', false],
    ['email.*', 'email.requested', true],
    ['email.*', 'email', false],
    ['email.*', 'email.requested.again', false],
    ['*.requested', 'email.requested', true],
    ['#', 'anything.at.all', true],
    ['#', '', true],
    ['email.#', 'email', true],
    ['email.#', 'email.a.b.c', true],
    ['email.#', 'sms.a', false],
    ['#.send', 'email.send', true],
    ['#.send', 'send', true],
    ['#.send', 'email.send.now', false],
    ['a.#.z', 'a.z', true],
    ['a.#.z', 'a.b.c.z', true],
    ['a.#.z', 'a.b.c', false],
    ['a.*.#.z', 'a.z', false],
    ['a.*.#.z', 'a.b.z', true],
    ['#.#.#.x', 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.y', false],
  ];
  for (const [pattern, key, expected] of cases) {
    test(`${pattern} ${expected ? 'matches' : 'does not match'} "${key}"`, () => {
      assert.equal(topicMatches(pattern, key), expected);
    });
  }
});

describe('InProcessTransport', () => {
  test('delivers to every matching subscriber, on the right exchange only', async () => {
    const transport = new InProcessTransport();
    const received: string[] = [];
    await transport.subscribe('account.events', 'email.*', async (m) => {
      received.push(`a:${m.topic}`);
    });
    await transport.subscribe('account.events', '#', async (m) => {
      received.push(`b:${m.topic}`);
    });
    await transport.subscribe('other.events', '#', async (m) => {
      received.push(`c:${m.topic}`);
    });
    await transport.publish(message('email.requested'));
    await transport.publish(message('user.created'));
    assert.deepEqual(received.sort(), ['a:email.requested', 'b:email.requested', 'b:user.created']);
    await transport.close();
  });

  test('each subscriber gets its own copy of the message', async () => {
    const transport = new InProcessTransport();
    const seen: unknown[] = [];
    await transport.subscribe('x', '#', async (m) => {
      (m.payload as { n: number }).n = 99;
    });
    await transport.subscribe('x', '#', async (m) => {
      seen.push(m.payload);
    });
    const sent = message('t', { n: 1 }, 'x');
    await transport.publish(sent);
    assert.deepEqual(sent.payload, { n: 1 });
    assert.deepEqual(seen, [{ n: 1 }]);
  });

  test('subscribers sharing a named queue compete; unnamed ones each get every message', async () => {
    const transport = new InProcessTransport();
    const counts = { worker1: 0, worker2: 0, audit: 0 };
    await transport.subscribe('x', 'job.*', async () => void counts.worker1++, { queue: 'jobs' });
    await transport.subscribe('x', 'job.*', async () => void counts.worker2++, { queue: 'jobs' });
    await transport.subscribe('x', 'job.*', async () => void counts.audit++);
    for (let i = 0; i < 10; i += 1) await transport.publish(message('job.run', {}, 'x'));
    assert.equal(counts.worker1 + counts.worker2, 10);
    assert.ok(counts.worker1 > 0 && counts.worker2 > 0);
    assert.equal(counts.audit, 10);
  });

  test('a failing handler makes publish reject, after the others ran', async () => {
    const transport = new InProcessTransport();
    let ok = 0;
    await transport.subscribe('x', '#', async () => {
      throw new Error('boom');
    });
    await transport.subscribe('x', '#', async () => {
      ok += 1;
    });
    const sent = message('t', {}, 'x');
    await assert.rejects(transport.publish(sent), (error: unknown) => {
      assert.ok(error instanceof MessageHandlingError);
      assert.equal(error.messageId, sent.messageId);
      assert.match(error.message, /boom/);
      return true;
    });
    assert.equal(ok, 1);
  });

  test('unsubscribe stops delivery; publish without subscribers resolves', async () => {
    const transport = new InProcessTransport();
    let count = 0;
    const unsubscribe = await transport.subscribe('x', '#', async () => {
      count += 1;
    });
    await transport.publish(message('t', {}, 'x'));
    await unsubscribe();
    await transport.publish(message('t', {}, 'x'));
    assert.equal(count, 1);
  });

  test('close waits for running handlers, then refuses publish and subscribe', async () => {
    const transport = new InProcessTransport();
    let release: () => void = () => undefined;
    let finished = false;
    await transport.subscribe('x', '#', async () => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      finished = true;
    });
    const publishing = transport.publish(message('t', {}, 'x'));
    const closing = transport.close();
    release();
    await closing;
    assert.equal(finished, true);
    await publishing;
    await assert.rejects(transport.publish(message('t', {}, 'x')), TransportClosedError);
    await assert.rejects(
      transport.subscribe('x', '#', async () => undefined),
      TransportClosedError,
    );
  });
});

// There is no RabbitMQ here: the AMQP transport runs against a recording fake of amqplib's
// channel API, which checks what is declared, published, acknowledged and re-established.
class FakeChannel extends EventEmitter {
  readonly calls: [string, ...unknown[]][] = [];
  readonly acks: ConsumeMessage[] = [];
  readonly nacks: { message: ConsumeMessage; requeue: boolean | undefined }[] = [];
  consumer: ((delivery: ConsumeMessage | null) => void) | undefined;
  confirm: 'ack' | 'nack' | 'never' = 'ack';
  closed = false;

  async assertExchange(...args: unknown[]) {
    this.calls.push(['assertExchange', ...args]);
    return { exchange: args[0] };
  }
  async assertQueue(name: string, options: unknown) {
    this.calls.push(['assertQueue', name, options]);
    return { queue: name || 'amq.gen-private', messageCount: 0, consumerCount: 0 };
  }
  async bindQueue(...args: unknown[]) {
    this.calls.push(['bindQueue', ...args]);
    return {};
  }
  async prefetch(count: number) {
    this.calls.push(['prefetch', count]);
    return {};
  }
  async consume(queue: string, onMessage: (delivery: ConsumeMessage | null) => void, options: unknown) {
    this.calls.push(['consume', queue, options]);
    this.consumer = onMessage;
    return { consumerTag: `ctag-${queue}` };
  }
  async cancel(tag: string) {
    this.calls.push(['cancel', tag]);
    this.consumer = undefined;
    return { consumerTag: tag };
  }
  async close() {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
  ack(delivery: ConsumeMessage) {
    if (this.closed) throw new Error('channel closed');
    this.acks.push(delivery);
  }
  nack(delivery: ConsumeMessage, _allUpTo?: boolean, requeue?: boolean) {
    if (this.closed) throw new Error('channel closed');
    this.nacks.push({ message: delivery, requeue });
  }
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: unknown,
    callback: (error: unknown) => void,
  ) {
    this.calls.push(['publish', exchange, routingKey, content.toString('utf8'), options]);
    if (this.confirm === 'ack') setImmediate(() => callback(null));
    if (this.confirm === 'nack') setImmediate(() => callback(new Error('message nacked')));
    return true;
  }
  /** What the broker would hand to the consumer. */
  deliver(body: string, properties: Record<string, unknown> = {}, redelivered = false) {
    const delivery = {
      content: Buffer.from(body),
      fields: {
        deliveryTag: 1,
        redelivered,
        exchange: 'account.events',
        routingKey: 'email.requested',
        consumerTag: 'c',
      },
      properties: { headers: {}, ...properties },
    } as unknown as ConsumeMessage;
    this.consumer?.(delivery);
    return delivery;
  }
}

class FakeConnection extends EventEmitter {
  readonly channels: FakeChannel[] = [];
  closed = false;
  async createChannel() {
    const channel = new FakeChannel();
    this.channels.push(channel);
    return channel as unknown as Channel;
  }
  async createConfirmChannel() {
    const channel = new FakeChannel();
    this.channels.push(channel);
    return channel as unknown as ConfirmChannel;
  }
  async close() {
    this.closed = true;
  }
}

async function fakeTransport(options: { publishTimeoutMs?: number } = {}) {
  const connection = new FakeConnection();
  const transport = await AmqpTransport.connect({
    url: 'amqp://guest:guest@broker.invalid:5672',
    logger,
    appId: 'trustplane-test',
    ...options,
    connect: async () => connection as unknown as AmqpConnection,
  });
  return { transport, connection };
}

describe('AmqpTransport (against a fake broker)', () => {
  test('publishes persistent JSON with publisher confirms, asserting the durable topic exchange once', async () => {
    const { transport, connection } = await fakeTransport();
    const first = message('email.requested', { to: 'a@example.com' });
    await transport.publish(first);
    await transport.publish(message('email.requested'));
    const channel = connection.channels[0]!;
    assert.equal(connection.channels.length, 1);
    const asserted = channel.calls.filter(([name]) => name === 'assertExchange');
    assert.deepEqual(asserted, [['assertExchange', 'account.events', 'topic', { durable: true }]]);
    const [, exchange, topic, body, options] = channel.calls.find(([name]) => name === 'publish')!;
    assert.equal(exchange, 'account.events');
    assert.equal(topic, 'email.requested');
    assert.deepEqual(JSON.parse(body as string), { to: 'a@example.com' });
    assert.deepEqual(
      { ...(options as Record<string, unknown>), timestamp: undefined },
      {
        persistent: true,
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        messageId: first.messageId,
        timestamp: undefined,
        headers: { 'x-source': 'test' },
        appId: 'trustplane-test',
      },
    );
    await transport.close();
  });

  test('a message the broker nacks, or never confirms, makes publish reject', async () => {
    const { transport, connection } = await fakeTransport({ publishTimeoutMs: 50 });
    await transport.publish(message('warm.up'));
    const channel = connection.channels[0]!;
    channel.confirm = 'nack';
    await assert.rejects(transport.publish(message('t')), /nacked/);
    channel.confirm = 'never';
    await assert.rejects(transport.publish(message('t')), TimeoutError);
    await transport.close();
  });

  test('a closed publish channel is replaced on the next publish', async () => {
    const { transport, connection } = await fakeTransport();
    await transport.publish(message('t'));
    await connection.channels[0]!.close();
    await transport.publish(message('t'));
    assert.equal(connection.channels.length, 2);
    assert.equal(connection.channels[1]!.calls.filter(([name]) => name === 'publish').length, 1);
    await transport.close();
  });

  test('a named subscription is a durable queue with a dead-letter queue, bound to the exchange', async () => {
    const { transport, connection } = await fakeTransport();
    await transport.subscribe('account.events', 'email.*', async () => undefined, { queue: 'mailer.queue' });
    const channel = connection.channels[0]!;
    assert.deepEqual(channel.calls, [
      ['assertExchange', 'account.events', 'topic', { durable: true }],
      ['assertQueue', 'mailer.queue.dead', { durable: true }],
      [
        'assertQueue',
        'mailer.queue',
        { durable: true, deadLetterExchange: '', deadLetterRoutingKey: 'mailer.queue.dead' },
      ],
      ['bindQueue', 'mailer.queue', 'account.events', 'email.*'],
      ['prefetch', 16],
      ['consume', 'mailer.queue', { noAck: false }],
    ]);
    await transport.close();
  });

  test('an unnamed subscription gets a private, exclusive queue', async () => {
    const { transport, connection } = await fakeTransport();
    await transport.subscribe('account.events', '#', async () => undefined);
    const channel = connection.channels[0]!;
    assert.deepEqual(channel.calls[1], [
      'assertQueue',
      '',
      { exclusive: true, autoDelete: true, durable: false },
    ]);
    assert.deepEqual(channel.calls[2], ['bindQueue', 'amq.gen-private', 'account.events', '#']);
    await transport.close();
  });

  test('acks after the handler succeeds; requeues a first failure once, then dead-letters', async () => {
    const { transport, connection } = await fakeTransport();
    const received: BusMessage[] = [];
    let fail = false;
    await transport.subscribe(
      'account.events',
      '#',
      async (m) => {
        if (fail) throw new Error('handler failed');
        received.push(m);
      },
      { queue: 'q' },
    );
    const channel = connection.channels[0]!;

    const ok = channel.deliver('{"to":"a@example.com"}', {
      messageId: 'm-1',
      headers: { 'x-source': 'acct', n: 2 },
    });
    await eventually(() => channel.acks.length === 1, 'ack');
    assert.equal(channel.acks[0], ok);
    assert.deepEqual(received, [
      {
        exchange: 'account.events',
        topic: 'email.requested',
        payload: { to: 'a@example.com' },
        headers: { 'x-source': 'acct', n: '2' },
        messageId: 'm-1',
        deliveryCount: 1,
      },
    ]);

    fail = true;
    channel.deliver('{}', { messageId: 'm-2' });
    await eventually(() => channel.nacks.length === 1, 'first nack');
    assert.equal(channel.nacks[0]!.requeue, true);
    channel.deliver('{}', { messageId: 'm-2' }, true);
    await eventually(() => channel.nacks.length === 2, 'second nack');
    assert.equal(channel.nacks[1]!.requeue, false);

    channel.deliver('not json', { messageId: 'm-3' });
    await eventually(() => channel.nacks.length === 3, 'nack of undecodable message');
    assert.equal(channel.nacks[2]!.requeue, false);
    await transport.close();
  });

  test('a subscription whose channel dies is re-established on a new channel', async () => {
    const { transport, connection } = await fakeTransport();
    await transport.subscribe('account.events', '#', async () => undefined, { queue: 'q' });
    await connection.channels[0]!.close();
    await eventually(() => connection.channels[1]?.consumer !== undefined, 'a new consumer');
    assert.deepEqual(connection.channels[1]!.calls.at(-1), ['consume', 'q', { noAck: false }]);
    await transport.close();
  });

  test('a consumer cancelled by the broker is re-established', async () => {
    const { transport, connection } = await fakeTransport();
    await transport.subscribe('account.events', '#', async () => undefined, { queue: 'q' });
    connection.channels[0]!.consumer?.(null);
    await eventually(() => connection.channels[1]?.consumer !== undefined, 'a new consumer');
    await transport.close();
  });

  test('close cancels consumers, lets running handlers ack, then closes channels and connection', async () => {
    const { transport, connection } = await fakeTransport();
    let release: () => void = () => undefined;
    await transport.subscribe(
      'account.events',
      '#',
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      { queue: 'q' },
    );
    const channel = connection.channels[0]!;
    channel.deliver('{}', { messageId: 'slow' });
    const closing = transport.close();
    await eventually(() => channel.calls.some(([name]) => name === 'cancel'), 'cancel');
    assert.equal(channel.closed, false);
    release();
    await closing;
    assert.equal(channel.acks.length, 1);
    assert.equal(channel.closed, true);
    assert.equal(connection.closed, true);
    assert.equal(connection.channels.length, 1, 'no re-subscription after close');
    await assert.rejects(transport.publish(message('t')), TransportClosedError);
  });

  test('unsubscribe stops only that subscription', async () => {
    const { transport, connection } = await fakeTransport();
    const unsubscribe = await transport.subscribe('account.events', '#', async () => undefined, {
      queue: 'a',
    });
    await transport.subscribe('account.events', '#', async () => undefined, { queue: 'b' });
    await unsubscribe();
    assert.equal(connection.channels[0]!.closed, true);
    assert.equal(connection.channels[1]!.closed, false);
    await transport.close();
  });

  test('connecting to a broker that is not there fails (real amqplib, no RabbitMQ needed)', async () => {
    const port = await freePort();
    await assert.rejects(
      AmqpTransport.connect({
        url: `amqp://guest:guest@127.0.0.1:${port}`,
        logger,
        initialConnectRetries: 0,
      }),
      /ECONNREFUSED|connect/i,
    );
  });
});

describe('createTransport', () => {
  test('is the in-process bus without AMQP_URL', async () => {
    const transport = await createTransport({ amqpUrl: undefined, logger });
    assert.ok(transport instanceof InProcessTransport);
    await transport.close();
  });

  test('is AMQP with AMQP_URL', async () => {
    const port = await freePort();
    await assert.rejects(
      createTransport({ amqpUrl: `amqp://127.0.0.1:${port}`, logger, amqp: { initialConnectRetries: 0 } }),
      /ECONNREFUSED|connect/i,
    );
    const connection = new FakeConnection();
    const transport = await createTransport({
      amqpUrl: 'amqp://broker.invalid',
      logger,
      amqp: { connect: async () => connection as unknown as AmqpConnection },
    });
    assert.ok(transport instanceof AmqpTransport);
    await transport.close();
    assert.equal(connection.closed, true);
  });
});
