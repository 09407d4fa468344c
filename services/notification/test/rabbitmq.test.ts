import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type ExternalServer, hasRabbitMqServer, startRabbitMq } from '@trustplane/kernel/testkit';
import amqplib from 'amqplib';
import { type Service, startService, testEnv, waitFor } from './harness.js';

/**
 * The RabbitMQ lane: with AMQP_URL the bus is the broker. account's mandatory `email.requested`
 * waits in the outbox until notification declares its durable queue (with its dead-letter
 * queue) on the broker, then becomes a mail; monitoring reads the broker's counts.
 */
describe('AMQP_URL mode on a real RabbitMQ', {
  skip: !hasRabbitMqServer() && 'rabbitmq-server is not installed (.ci/run installs it)',
}, () => {
  let broker: ExternalServer;
  let service: Service;
  before(async () => {
    broker = await startRabbitMq();
    testEnv();
    service = await startService({ env: { AMQP_URL: broker.url } });
  });
  after(async () => {
    await service?.close();
    await broker?.stop();
  });

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
    const mail = await waitFor(
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
    await waitFor(
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
});
