import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { eventually } from '@trustplane/kernel/testkit';
import { loadNotificationConfig } from '../src/config.js';
import { loadNotificationProto } from '../src/grpc/grpc-server.js';
import { type Service, startService, testEnv } from './harness.js';

interface View {
  status: string;
  attempts: number;
  last_error: string;
}

describe('channels and queue monitoring', () => {
  let service: Service;
  let api: http.Server;
  const apiCalls: { url: string; body: Record<string, unknown>; auth: string | undefined }[] = [];
  let sink: grpc.Server;
  let sinkPort: number;
  const sinkCalls: Record<string, unknown>[] = [];
  before(async () => {
    api = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        apiCalls.push({
          url: request.url ?? '',
          body: JSON.parse(body),
          auth: request.headers.authorization,
        });
        const calls = apiCalls.filter((call) => call.url === request.url).length;
        if (request.url?.includes('/botTOKEN123/') && calls === 1) {
          response
            .writeHead(429, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ok: false, parameters: { retry_after: 0 } }));
        } else if (request.url?.includes('/botTOKEN123/'))
          response.writeHead(200).end(JSON.stringify({ ok: true, result: { message_id: 77 } }));
        else response.writeHead(200).end(JSON.stringify({ messages: [{ id: 'wamid.1' }] }));
      });
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    sink = new grpc.Server();
    sink.addService(loadNotificationProto().notification.NotificationSink.service, {
      Deliver: (
        call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        sinkCalls.push(call.request);
        callback(null, { accepted: true, message: 'ok' });
      },
    });
    sinkPort = await new Promise<number>((resolve, reject) =>
      sink.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    testEnv({
      NOTIFICATION_PROVIDERS: JSON.stringify({
        live_bot: { type: 'telegram', token: 'TOKEN123', api_url: apiUrl },
        live_whatsapp: { type: 'whatsapp', token: 'WA_TOKEN', phone_number_id: '1055', api_url: apiUrl },
      }),
    });
    service = await startService();
  });
  after(async () => {
    await service.close();
    await new Promise((resolve) => api.close(resolve));
    sink.forceShutdown();
  });

  const create = (request: object) => service.rpc<{ notification_id: string }>('CreateNotification', request);
  const settled = (id: string) =>
    eventually(async () => {
      const found = await service.rpc<View>('GetNotification', { notification_id: id });
      return ['delivered', 'failed'].includes(found.status) && found;
    }, `notification ${id}`);

  test('telegram and whatsapp without a token write the exact API request to the message sink', async () => {
    const telegram = await create({
      recipients: [{ type: 'telegram', address: '-1001234567' }],
      content: { subject: 'Alert', body: 'Disk full' },
      provider_type: 'telegram',
    });
    const whatsapp = await create({
      recipients: [{ type: 'whatsapp', address: '+6281234567890' }],
      content: { body: 'Your code is 1234' },
      provider_type: 'whatsapp',
    });
    assert.equal((await settled(telegram.notification_id)).status, 'delivered');
    assert.equal((await settled(whatsapp.notification_id)).status, 'delivered');
    const dir = path.join(service.booted.dataDir, 'messages');
    const [telegramFile] = await fs.readdir(path.join(dir, 'telegram'));
    const recorded = JSON.parse(await fs.readFile(path.join(dir, 'telegram', telegramFile!), 'utf8'));
    assert.equal(recorded.url, 'https://api.telegram.org/bot<TOKEN>/sendMessage');
    assert.deepEqual(recorded.body, { chat_id: -1001234567, text: 'Alert\n\nDisk full' });
    const [whatsappFile] = await fs.readdir(path.join(dir, 'whatsapp'));
    const message = JSON.parse(await fs.readFile(path.join(dir, 'whatsapp', whatsappFile!), 'utf8'));
    assert.equal(message.body.to, '6281234567890');
    assert.deepEqual(message.body.text, { preview_url: false, body: 'Your code is 1234' });
  });

  test('with a token the telegram API is called; its 429 is retried', async () => {
    const published: string[] = [];
    const stop = await service.booted.context.bus.subscribe(
      'notification.outbound',
      'notification.*.telegram',
      async (m) => {
        published.push(m.topic);
      },
    );
    // The first configured telegram instance is the default one: name the live one through the bus.
    await service.booted.context.outbox.publish(service.booted.context.database().pool, {
      exchange: 'notification.requests',
      topic: 'telegram.send',
      payload: {
        id: 'evt-telegram-1',
        source_service: 'ops',
        timestamp: new Date().toISOString(),
        recipient: { telegram_chat_id: 42 },
        content: { body: 'hello' },
        provider_type: 'telegram',
        provider_name: 'live_bot',
        created_at: new Date().toISOString(),
      },
    });
    await eventually(
      async () => apiCalls.filter((call) => call.url === '/botTOKEN123/sendMessage').length >= 2,
      'telegram calls',
    );
    await eventually(async () => published.includes('notification.delivered.telegram'), 'delivered event');
    // Both outcomes are published; the relay does not promise their order across two commits.
    await eventually(async () => published.length >= 2, 'retrying and delivered events');
    assert.deepEqual([...published.slice(0, 2)].sort(), [
      'notification.delivered.telegram',
      'notification.retrying.telegram',
    ]);
    await stop();
  });

  test('grpc forwarder calls NotificationSink/Deliver on the recipient', async () => {
    const { notification_id: id } = await create({
      recipients: [{ type: 'grpc', address: `127.0.0.1:${sinkPort}` }],
      content: { subject: 's', body: 'forward me' },
      provider_type: 'grpc',
    });
    assert.equal((await settled(id)).status, 'delivered');
    assert.equal(sinkCalls.length, 1);
    assert.equal(sinkCalls[0]!.notification_id, id);
  });

  test('rabbitmq forwarder publishes to the forward exchange; no queue bound → retried, not lost', async () => {
    const received: unknown[] = [];
    const stop = await service.booted.context.bus.subscribe('notification.forward', 'orders.#', async (m) => {
      received.push(m.payload);
    });
    const { notification_id: id } = await create({
      recipients: [{ type: 'rabbitmq', address: 'orders.created' }],
      content: { body: 'order 1' },
      provider_type: 'rabbitmq',
    });
    assert.equal((await settled(id)).status, 'delivered');
    assert.equal(received.length, 1);
    await stop();
    const unbound = await create({
      recipients: [{ type: 'rabbitmq', address: 'nobody.listens' }],
      content: { body: 'x' },
      provider_type: 'rabbitmq',
    });
    const retrying = await eventually(async () => {
      const found = await service.rpc<View>('GetNotification', { notification_id: unbound.notification_id });
      return found.attempts >= 1 && found.status !== 'processing' && found;
    }, 'a first attempt');
    assert.notEqual(retrying.status, 'delivered');
    assert.match(retrying.last_error, /no queue to go to/);
    await service.rpc('CancelNotification', { notification_id: unbound.notification_id });
  });

  test('GetQueueStats / Info / Consumers / MessageDetails report real numbers', async () => {
    const stats = await service.queue<{ queues: Record<string, number | string>[] }>('GetQueueStats', {});
    assert.deepEqual(
      stats.queues.map((queue) => queue.queue_name),
      [
        'notification.events.queue',
        'notification.email-requested.queue',
        'notification.delivery.queue',
        'notification.events.dlq',
      ],
    );
    const delivery = stats.queues.find((queue) => queue.queue_name === 'notification.delivery.queue')!;
    assert.ok(Number(delivery.rate) > 0, 'deliveries completed in the last minute');
    assert.ok(Number(delivery.avg_processing_time) > 0);
    assert.ok(Number(delivery.consumer_count) >= 1);
    const info = await service.queue<{
      name: string;
      durable: boolean;
      backend: string;
      created_at: { seconds: number };
    }>('GetQueueInfo', { queue_name: 'notification.delivery.queue' });
    assert.equal(info.durable, true);
    assert.equal(info.backend, 'pg-boss');
    assert.ok(info.created_at.seconds > 0);
    const consumers = await service.queue<{ consumers: { prefetch_count: number; ack_count: number }[] }>(
      'GetConsumerInfo',
      {
        queue_name: 'notification.delivery.queue',
      },
    );
    assert.equal(consumers.consumers.length, 1);
    // The consumer takes as many deliveries at once as the service runs (its default here).
    assert.equal(consumers.consumers[0]!.prefetch_count, loadNotificationConfig({}).workerConcurrency);
    await service.runtime.consumers.beat();
    const refreshed = await service.queue<{ consumers: { ack_count: number }[] }>('GetConsumerInfo', {
      queue_name: 'notification.delivery.queue',
    });
    assert.ok(refreshed.consumers[0]!.ack_count >= 4);
    const { rows } = await service.booted.context
      .database()
      .pool.query<{ message_id: string }>(
        "SELECT message_id FROM message_ledger WHERE queue = 'notification.delivery.queue' LIMIT 1",
      );
    const details = await service.queue<{ payload: string; delivery_count: number; status: string }>(
      'GetMessageDetails',
      {
        queue_name: 'notification.delivery.queue',
        message_id: rows[0]!.message_id,
      },
    );
    assert.match(details.payload, /"notification_id":"ntf_/);
    assert.equal(details.delivery_count, 1);
    assert.equal(details.status, 'acked');
    for (const [method, request, code] of [
      ['GetQueueInfo', { queue_name: '' }, grpc.status.INVALID_ARGUMENT],
      ['GetQueueInfo', { queue_name: 'nope' }, grpc.status.NOT_FOUND],
      ['GetQueueStats', { queue_name: 'nope' }, grpc.status.NOT_FOUND],
      ['GetConsumerInfo', { queue_name: '' }, grpc.status.INVALID_ARGUMENT],
      [
        'GetMessageDetails',
        { queue_name: 'notification.delivery.queue', message_id: '' },
        grpc.status.INVALID_ARGUMENT,
      ],
      [
        'GetMessageDetails',
        { queue_name: 'notification.delivery.queue', message_id: 'x' },
        grpc.status.NOT_FOUND,
      ],
      ['PurgeQueue', { queue_name: '' }, grpc.status.INVALID_ARGUMENT],
      ['PurgeQueue', { queue_name: 'nope' }, grpc.status.NOT_FOUND],
    ] as const) {
      await assert.rejects(service.queue(method, request), (error: grpc.ServiceError) => error.code === code);
    }
  });

  test('PurgeQueue removes waiting deliveries, returns the count and cancels those notifications', async () => {
    const later = { seconds: Math.floor(Date.now() / 1000) + 3600 };
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      ids.push(
        (
          await create({
            recipients: [{ type: 'email', address: `p${i}@example.com` }],
            content: { body: 'x' },
            provider_type: 'email',
            scheduled_at: later,
          })
        ).notification_id,
      );
    }
    const purged = await service.queue<{ success: boolean; purged_count: number }>('PurgeQueue', {
      queue_name: 'notification.delivery.queue',
    });
    assert.equal(purged.success, true);
    assert.equal(purged.purged_count, 3);
    for (const id of ids) {
      const view = await service.rpc<View>('GetNotification', { notification_id: id });
      assert.equal(view.status, 'cancelled');
    }
    const stats = await service.queue<{ queues: { message_count: number }[] }>('GetQueueStats', {
      queue_name: 'notification.delivery.queue',
    });
    assert.equal(stats.queues[0]!.message_count, 0);
  });
});
