import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  type ExternalServer,
  hasRabbitMqServer,
  startRabbitMq,
  eventually,
} from '@trustplane/kernel/testkit';
import amqplib from 'amqplib';
import { type Service, startService, testEnv } from './harness.js';

/**
 * The RabbitMQ lane: with AMQP_URL the bus is the broker. account's mandatory `email.requested`
 * waits in the outbox until notification declares its durable queue (with its dead-letter
 * queue) on the broker, then becomes a mail; monitoring reads the broker's counts. Delivery
 * attempts run on the broker too: checked here on the broker itself (queues and their arguments,
 * a retry waiting in its step's delay queue and expiring back, the DLX of what failed for good).
 * Steps of 1.5 s and 3 s (± 20 %), so a waiting retry can be seen on the broker.
 */
describe('AMQP_URL mode on a real RabbitMQ', {
  skip: !hasRabbitMqServer() && 'rabbitmq-server is not installed (.ci/run installs it)',
}, () => {
  let broker: ExternalServer;
  let service: Service;
  let hook: http.Server;
  let hookUrl: string;
  let downHealed = false;
  const hits: { path: string; at: number }[] = [];
  before(async () => {
    hook = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const path = request.url ?? '';
        const before = hits.filter((hit) => hit.path === path).length;
        hits.push({ path, at: Date.now() });
        if (path === '/flaky' && before === 0) response.writeHead(503).end();
        else if (path === '/throttled' && before === 0) response.writeHead(429, { 'Retry-After': '2' }).end();
        else if (path === '/down' && !downHealed) response.writeHead(503).end();
        else if (path === '/hold') response.writeHead(503).end();
        else if (path === '/slow') setTimeout(() => response.writeHead(200).end('ok'), 1500);
        else response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
    broker = await startRabbitMq();
    testEnv({
      NOTIFICATION_RETRY_DELAYS_MS: '1500,3000',
      NOTIFICATION_RETRY_JITTER: '0.2',
      NOTIFICATION_PROVIDERS: JSON.stringify({ hooks: { type: 'http', secret: 'whsec_test_secret' } }),
    });
    service = await startService({ env: { AMQP_URL: broker.url } });
  });
  after(async () => {
    await service?.close();
    await broker?.stop();
    await new Promise((resolve) => hook?.close(resolve));
  });

  const STEP_1 = 'notification.delivery.wait.1200-1800ms';
  const STEP_2 = 'notification.delivery.wait.2400-3600ms';

  async function onBroker<T>(work: (channel: amqplib.Channel) => Promise<T>): Promise<T> {
    const connection = await amqplib.connect(broker.url);
    try {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      return await work(channel);
    } finally {
      await connection.close().catch(() => undefined);
    }
  }

  /** Publishes to `notification.delivery` / `deliver` as the outbox relay would, confirmed. */
  async function publishOnBroker(content: string, messageId: string, priority?: number): Promise<void> {
    const connection = await amqplib.connect(broker.url);
    try {
      const channel = await connection.createConfirmChannel();
      channel.publish('notification.delivery', 'deliver', Buffer.from(content), {
        persistent: true,
        messageId,
        ...(priority === undefined ? {} : { priority }),
      });
      await channel.waitForConfirms();
    } finally {
      await connection.close().catch(() => undefined);
    }
  }

  const toHook = (path: string, extra: object = {}) =>
    service.rpc<{ notification_id: string }>('CreateNotification', {
      recipients: [{ type: 'http', address: `${hookUrl}${path}` }],
      content: { subject: 's', body: 'b' },
      provider_type: 'http',
      ...extra,
    });

  const view = (id: string) =>
    service.rpc<{ status: string; attempts: number; retry_count: number }>('GetNotification', {
      notification_id: id,
    });

  const settled = (id: string) =>
    eventually(async () => {
      const found = await view(id);
      return ['delivered', 'failed', 'cancelled'].includes(found.status) && found;
    }, `notification ${id} to settle`);

  /** The attempts of a notification, oldest first (their ids, for GetMessageDetails). */
  async function attemptIds(id: string): Promise<string[]> {
    const { rows } = await service.booted.context.database().pool.query<{ message_id: string }>(
      `SELECT message_id FROM message_ledger
          WHERE queue = 'notification.delivery.queue' AND payload->>'notification_id' = $1
          ORDER BY published_at, message_id`,
      [id],
    );
    return rows.map((row) => row.message_id);
  }

  const details = (queue: string, messageId: string) =>
    service.queue<{ headers: Record<string, string>; status: string; delivery_count: number }>(
      'GetMessageDetails',
      { queue_name: queue, message_id: messageId },
    );

  test('email.requested through the broker becomes a mail; the queues and their DLX exist on the broker', async () => {
    const token = `tok_${randomUUID()}`;
    await service.booted.context.outbox.publish(service.booted.context.database().pool, {
      exchange: 'account.events',
      topic: 'email.requested',
      payload: {
        event_type: 'email.requested',
        to: 'broker@example.com',
        template: 'password_reset',
        display_name: 'Broker',
        token,
        base_url: 'http://localhost:8874',
      },
      deleteOnPublish: true,
      mandatory: true,
    });
    const mail = await eventually(
      async () =>
        (await service.booted.context.mailer.list()).find((entry) => entry.to === 'broker@example.com'),
      'the mail',
    );
    assert.ok(mail.text.includes(`/reset-password?token=${token}`));
    const connection = await amqplib.connect(broker.url);
    const channel = await connection.createChannel();
    const queue = await channel.checkQueue('notification.email-requested.queue');
    assert.equal(queue.consumerCount, 1);
    await channel.checkQueue('notification.email-requested.queue.dead');
    await channel.checkQueue('notification.events.queue');
    await channel.close();
    await connection.close();

    const stats = await service.queue<{
      queues: { queue_name: string; consumer_count: number; message_count: number }[];
    }>('GetQueueStats', { queue_name: 'notification.email-requested.queue' });
    assert.equal(stats.queues[0]!.consumer_count, 1);
    assert.equal(stats.queues[0]!.message_count, 0);
    const info = await service.queue<{ backend: string; arguments: Record<string, string> }>('GetQueueInfo', {
      queue_name: 'notification.email-requested.queue',
    });
    assert.equal(info.backend, 'rabbitmq');
    assert.equal(info.arguments['x-dead-letter-routing-key'], 'notification.email-requested.queue.dead');
    const health = await service.queue<{ healthy: boolean; services: { name: string; healthy: boolean }[] }>(
      'HealthCheck',
      {},
    );
    assert.deepEqual(health.services, [
      { name: 'postgres', healthy: true },
      { name: 'rabbitmq', healthy: true },
    ]);
  });

  test('a notification.requests message published by another service on the broker is delivered once', async () => {
    const connection = await amqplib.connect(broker.url);
    const channel = await connection.createConfirmChannel();
    const event = {
      id: `evt-${randomUUID()}`,
      source_service: 'billing',
      timestamp: new Date().toISOString(),
      recipient: { email: 'amqp@example.com', name: 'Amqp' },
      content: { subject: 'Invoice', body: 'Your invoice is ready' },
      provider_type: 'email',
      provider_name: 'smtp_email',
      created_at: new Date().toISOString(),
    };
    for (let copy = 0; copy < 2; copy += 1) {
      channel.publish('notification.requests', 'email.send', Buffer.from(JSON.stringify(event)), {
        persistent: true,
        messageId: randomUUID(),
        contentType: 'application/json',
      });
    }
    await channel.waitForConfirms();
    await channel.close();
    await connection.close();
    await eventually(
      async () =>
        (await service.booted.context.mailer.list()).some((entry) => entry.to === 'amqp@example.com'),
      'the mail',
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(
      (await service.booted.context.mailer.list()).filter((entry) => entry.to === 'amqp@example.com').length,
      1,
    );
  });

  test('the delivery topology on the broker: priority queue with its DLX, one TTL delay queue per step, the DLQ', async () => {
    const expected = {
      'notification.delivery.queue': {
        'x-max-priority': 3,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'notification.events.dlq',
      },
      [STEP_1]: {
        'x-message-ttl': 1800,
        'x-dead-letter-exchange': 'notification.delivery',
        'x-dead-letter-routing-key': 'deliver',
      },
      [STEP_2]: {
        'x-message-ttl': 3600,
        'x-dead-letter-exchange': 'notification.delivery',
        'x-dead-letter-routing-key': 'deliver',
      },
      'notification.events.dlq': {},
    };
    for (const [queue, args] of Object.entries(expected)) {
      // Re-declaring with the very same arguments succeeds only when the broker holds exactly those.
      const declared = await onBroker((channel) =>
        channel.assertQueue(queue, { durable: true, arguments: args }),
      );
      assert.equal(declared.queue, queue);
    }
    const counts = await onBroker(async (channel) => ({
      delivery: await channel.checkQueue('notification.delivery.queue'),
      dlq: await channel.checkQueue('notification.events.dlq'),
      step: await channel.checkQueue(STEP_1),
    }));
    assert.equal(counts.delivery.consumerCount, 1, 'the delivery queue is consumed');
    assert.equal(counts.dlq.consumerCount, 1, 'the broker DLQ is consumed (recorded into dead letters)');
    assert.equal(counts.step.consumerCount, 0, 'nobody consumes a delay queue: its messages expire');
    // Another TTL is refused by the broker (406 PRECONDITION_FAILED): the arguments above are the real ones.
    await assert.rejects(
      onBroker((channel) =>
        channel.assertQueue(STEP_1, {
          durable: true,
          arguments: { ...expected[STEP_1], 'x-message-ttl': 1000 },
        }),
      ),
      /PRECONDITION_FAILED/,
    );
    const info = await service.queue<{ backend: string; arguments: Record<string, string> }>('GetQueueInfo', {
      queue_name: 'notification.delivery.queue',
    });
    assert.equal(info.backend, 'rabbitmq');
    assert.equal(info.arguments['x-dead-letter-routing-key'], 'notification.events.dlq');
    assert.match(info.arguments['x-delay-queues'] ?? '', /wait\.1200-1800ms \(x-message-ttl 1800\)/);
  });

  test("a retried delivery waits in its step's delay queue on the broker and expires back to the delivery queue", async () => {
    const { notification_id: id } = await toHook('/flaky');
    const waiting = await eventually(
      async () => (await onBroker((channel) => channel.checkQueue(STEP_1))).messageCount === 1 && true,
      'the retry waiting in the first step queue',
    );
    assert.ok(waiting);
    const stats = await service.queue<{ queues: { messages_ready: number }[] }>('GetQueueStats', {
      queue_name: 'notification.delivery.queue',
    });
    assert.ok(stats.queues[0]!.messages_ready >= 1, 'GetQueueStats counts the waiting retry');
    const done = await settled(id);
    assert.equal(done.status, 'delivered');
    assert.equal(done.retry_count, 1);
    const calls = hits.filter((hit) => hit.path === '/flaky');
    assert.equal(calls.length, 2);
    assert.ok(calls[1]!.at - calls[0]!.at >= 1200, 'waited at least the step minus its jitter');
    const [first, second] = await attemptIds(id);
    assert.equal(
      (await details('notification.delivery.queue', first!)).headers.route,
      'notification.delivery.queue',
    );
    const retry = await details('notification.delivery.queue', second!);
    assert.equal(retry.headers.route, STEP_1);
    assert.equal(
      retry.headers['x-first-death-queue'],
      STEP_1,
      'the broker dead-lettered it from the delay queue',
    );
    assert.equal(retry.headers['x-first-death-reason'], 'expired');
    assert.equal(retry.status, 'acked');
    assert.equal((await onBroker((channel) => channel.checkQueue(STEP_1))).messageCount, 0);
  });

  test('a Retry-After longer than the step is held in PostgreSQL, then published: honoured', async () => {
    const { notification_id: id } = await toHook('/throttled');
    const done = await settled(id);
    assert.equal(done.status, 'delivered');
    const calls = hits.filter((hit) => hit.path === '/throttled');
    assert.ok(calls[1]!.at - calls[0]!.at >= 1950, 'Retry-After: 2 honoured (longer than the 1.8 s band)');
    const [, second] = await attemptIds(id);
    const retry = await details('notification.delivery.queue', second!);
    assert.equal(retry.headers.route, 'notification.delivery.held');
    assert.equal(retry.headers['x-first-death-queue'], undefined, 'it never sat in a delay queue');
  });

  test('exhausted → failed, dead-lettered and rejected to the broker DLX, noted on the dead letter; replay delivers once', async () => {
    const { notification_id: id } = await toHook('/down', { max_retries: 1 });
    const done = await settled(id);
    assert.equal(done.status, 'failed');
    assert.equal(done.attempts, 2);
    const dead = (await service.runtime.deadLetters.list()).find((entry) => entry.notification_id === id)!;
    assert.ok(dead);
    assert.equal(dead.attempts, 2);
    const noted = await eventually(async () => {
      const found = await details('notification.events.dlq', dead.id);
      return found.headers['x-first-death-queue'] ? found : undefined;
    }, 'the broker copy recorded');
    assert.equal(noted.headers['x-broker-queue'], 'notification.events.dlq');
    // Its path on the broker: the retry expired out of the step's delay queue, then was rejected.
    assert.equal(noted.headers['x-first-death-queue'], STEP_1);
    assert.equal(noted.headers['x-first-death-reason'], 'expired');
    assert.equal(noted.headers['x-last-death-queue'], 'notification.delivery.queue');
    assert.equal(noted.headers['x-last-death-reason'], 'rejected');
    assert.equal(
      (await onBroker((channel) => channel.checkQueue('notification.events.dlq'))).messageCount,
      0,
    );
    assert.equal(
      (await service.runtime.deadLetters.list()).filter((entry) => entry.notification_id === id).length,
      1,
      'the broker copy is not a second dead letter',
    );
    downHealed = true;
    await service.runtime.deadLetters.replay(dead.id);
    assert.equal((await settled(id)).status, 'delivered');
    assert.equal(hits.filter((hit) => hit.path === '/down').length, 3);
  });

  test('an undecodable attempt is rejected to the DLX and recorded as a dead letter that cannot be replayed', async () => {
    const messageId = randomUUID();
    await publishOnBroker('not json', messageId);
    const dead = await eventually(
      async () => (await service.runtime.deadLetters.list()).find((entry) => entry.message_id === messageId),
      'the dead letter',
    );
    assert.equal(dead.source_queue, 'notification.delivery.queue');
    assert.equal(dead.notification_id, null);
    assert.match(dead.reason, /rejected in notification\.delivery\.queue/);
    await assert.rejects(service.runtime.deadLetters.replay(dead.id), /carries no notification/);
    assert.deepEqual(await service.runtime.deadLetters.purge(dead.id), { purged: 1 });
  });

  test('copies of an attempt: one arriving while it runs waits for its lease, one after it settled is dropped; one send', async () => {
    const { notification_id: id } = await toHook('/slow');
    await eventually(async () => hits.some((hit) => hit.path === '/slow'), 'the attempt under way');
    const [attempt] = await attemptIds(id);
    const copy = () =>
      publishOnBroker(JSON.stringify({ notification_id: id, lease_seconds: 15 }), attempt!, 1);
    await copy();
    assert.equal((await settled(id)).status, 'delivered');
    await copy();
    await eventually(
      async () => (await details('notification.delivery.queue', attempt!)).delivery_count >= 3,
      'both copies received',
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(hits.filter((hit) => hit.path === '/slow').length, 1, 'sent once');
    assert.equal((await view(id)).attempts, 1);
  });

  test('PurgeQueue drains the delivery queue, its delay queues and the held attempts, and cancels them', async () => {
    const waitingRetry = (await toHook('/hold', { max_retries: 5 })).notification_id;
    await eventually(
      async () => (await onBroker((channel) => channel.checkQueue(STEP_1))).messageCount >= 1 && true,
      'a retry in the delay queue',
    );
    const scheduled = (
      await toHook('/fine', { scheduled_at: { seconds: Math.floor(Date.now() / 1000) + 3600 } })
    ).notification_id;
    const purged = await service.queue<{ success: boolean; purged_count: number }>('PurgeQueue', {
      queue_name: 'notification.delivery.queue',
    });
    assert.equal(purged.purged_count, 2);
    assert.equal((await view(waitingRetry)).status, 'cancelled');
    assert.equal((await view(scheduled)).status, 'cancelled');
    assert.equal((await onBroker((channel) => channel.checkQueue(STEP_1))).messageCount, 0);
  });
});
