import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import pg from 'pg';
import { eventually } from '@trustplane/kernel/testkit';
import { email, type Service, startService, testEnv } from './harness.js';

interface Created {
  notification_id: string;
  status: string;
  created_at: { seconds: number; nanos: number };
  message: string;
}

interface NotificationMessage {
  id: string;
  status: string;
  recipients: { type: string; address: string; name: string }[];
  content: { subject: string; body: string; is_html: boolean; html_body: string };
  provider_type: string;
  priority: string;
  retry_count: number;
  max_retries: number;
  delivered_at: { seconds: number } | null;
  created_at: { seconds: number };
  last_error: string;
  metadata: Record<string, string>;
}

const content = { subject: 'Welcome', body: 'Hi there' };

async function rejects(promise: Promise<unknown>, code: grpc.status, details?: RegExp) {
  const error = (await promise.then(
    () => assert.fail('expected the call to fail'),
    (failure: unknown) => failure,
  )) as grpc.ServiceError;
  assert.equal(
    error.code,
    code,
    `expected ${grpc.status[code]}, got ${grpc.status[error.code]}: ${error.details}`,
  );
  if (details) assert.match(error.details, details);
  assert.doesNotMatch(error.details, /\n\s+at /, 'no stack in the message');
  return error;
}

describe('NotificationService over gRPC', () => {
  let service: Service;
  let hook: http.Server;
  let hookStatus = 204;
  before(async () => {
    hook = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(hookStatus).end());
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    testEnv({
      NOTIFICATION_PROVIDERS: JSON.stringify({ crm_hook: { type: 'http', url }, grpc_forwarder: null }),
    });
    service = await startService();
  });
  after(async () => {
    await service.close();
    await new Promise((resolve) => hook.close(resolve));
  });

  const create = (request: object, metadata?: Record<string, string>) =>
    service.rpc<Created>('CreateNotification', request, metadata);
  const get = (id: string) => service.rpc<NotificationMessage>('GetNotification', { notification_id: id });

  test('CreateNotification stores ntf_<ULID> queued, and the mail is delivered', async () => {
    const created = await create({
      recipients: [email('jane@example.com', 'Jane Doe')],
      content,
      provider_type: 'email',
      metadata: { user_id: 'acc_1' },
    });
    assert.match(created.notification_id, /^ntf_[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.equal(created.status, 'queued');
    assert.equal(created.message, 'queued for delivery');
    assert.ok(created.created_at.seconds > 0);
    const delivered = await eventually(async () => {
      const found = await get(created.notification_id);
      return found.status === 'delivered' && found;
    }, 'delivery');
    assert.equal(delivered.provider_type, 'email');
    assert.equal(delivered.priority, 'normal');
    assert.equal(delivered.retry_count, 0);
    assert.equal(delivered.max_retries, 3);
    assert.deepEqual(delivered.recipients, [
      { type: 'email', address: 'jane@example.com', name: 'Jane Doe' },
    ]);
    assert.deepEqual(delivered.metadata, { user_id: 'acc_1' });
    assert.ok(delivered.delivered_at && delivered.delivered_at.seconds >= delivered.created_at.seconds);
    const mails = await service.booted.context.mailer.list();
    const mail = mails.find((entry) => entry.to === 'jane@example.com');
    assert.ok(mail, 'the mail is in the sink');
    assert.equal(mail.subject, 'Welcome');
    assert.equal(mail.text.trim(), 'Hi there');
  });

  test('CreateNotification rejects bad input with INVALID_ARGUMENT naming the field', async () => {
    const base = { recipients: [email('a@example.com')], content, provider_type: 'email' };
    const cases: [object, RegExp][] = [
      [{ ...base, recipients: [] }, /^recipients: /],
      [
        { ...base, recipients: Array.from({ length: 1001 }, (_, i) => email(`u${i}@example.com`)) },
        /^recipients: at most 1000/,
      ],
      [
        { ...base, recipients: [email('a@example.com'), email('not-an-address')] },
        /^recipients\[1\]\.address: /,
      ],
      [{ ...base, recipients: [{ type: 'telegram', address: 'a@example.com' }] }, /^recipients\[0\]\.type: /],
      [
        { ...base, provider_type: 'telegram', recipients: [{ type: 'telegram', address: 'hello world' }] },
        /^recipients\[0\]\.address: /,
      ],
      [
        { ...base, provider_type: 'whatsapp', recipients: [{ type: 'whatsapp', address: '12' }] },
        /^recipients\[0\]\.address: /,
      ],
      [
        { ...base, provider_type: 'http', recipients: [{ type: 'http', address: 'ftp://x' }] },
        /^recipients\[0\]\.address: /,
      ],
      [{ ...base, priority: 'asap' }, /^priority: /],
      [{ ...base, provider_type: 'pigeon' }, /^provider_type: /],
      [{ ...base, provider_type: '' }, /^provider_type: is required/],
      [{ ...base, content: { subject: 'x', body: '   ' } }, /^content\.body: /],
      [{ ...base, content: undefined }, /^content: /],
      [
        { ...base, content: { subject: 'a\r\nBcc: x@evil.test', body: 'b' } },
        /^content\.subject: .*CR or LF/,
      ],
      [{ ...base, max_retries: 11 }, /^max_retries: /],
      [{ ...base, max_retries: -1 }, /^max_retries: /],
      [{ ...base, content: { subject: 's', body: 'x'.repeat(1024 * 1024 + 1) } }, /^content: .*1 MiB/],
    ];
    const before = await service.rpc<{ pending: number }>('GetStats', {});
    for (const [request, message] of cases)
      await rejects(create(request), grpc.status.INVALID_ARGUMENT, message);
    const afterStats = await service.rpc<{ pending: number }>('GetStats', {});
    assert.equal(afterStats.pending, before.pending, 'nothing was stored');
  });

  test('a provider type that is not configured is FAILED_PRECONDITION', async () => {
    await rejects(
      create({ recipients: [{ type: 'grpc', address: '127.0.0.1:1' }], content, provider_type: 'grpc' }),
      grpc.status.FAILED_PRECONDITION,
      /^provider_type: no grpc provider is configured/,
    );
  });

  test('max_retries: unset is 3, 0 is kept', async () => {
    const created = await create({
      recipients: [email('z@example.com')],
      content,
      provider_type: 'email',
      max_retries: 0,
    });
    assert.equal((await get(created.notification_id)).max_retries, 0);
  });

  test('idempotency-key: same request → same reply; different request → FAILED_PRECONDITION', async () => {
    const request = { recipients: [email('idem@example.com')], content, provider_type: 'email' };
    const first = await create(request, { 'idempotency-key': 'key-1' });
    const second = await create(request, { 'idempotency-key': 'key-1' });
    assert.deepEqual(second, first);
    await rejects(
      create({ ...request, content: { subject: 'Other', body: 'x' } }, { 'idempotency-key': 'key-1' }),
      grpc.status.FAILED_PRECONDITION,
      /idempotency-key/,
    );
    const history = await service.rpc<{ notifications: NotificationMessage[] }>('GetNotificationHistory', {
      page_size: 100,
    });
    assert.equal(
      history.notifications.filter((entry) => entry.recipients[0]?.address === 'idem@example.com').length,
      1,
    );
  });

  test('CreateBulkNotification: one btc_ id, ids in order, all-or-nothing', async () => {
    const items = Array.from({ length: 3 }, (_, i) => ({
      recipients: [email(`bulk${i}@example.com`)],
      content: { subject: `Bulk ${i}`, body: 'b' },
      provider_type: 'email',
      priority: ['low', 'high', 'urgent'][i],
    }));
    const reply = await service.rpc<{
      batch_id: string;
      notification_ids: string[];
      status: string;
      total_count: number;
    }>('CreateBulkNotification', { notifications: items });
    assert.match(reply.batch_id, /^btc_[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.equal(reply.status, 'queued');
    assert.equal(reply.total_count, 3);
    for (const [index, id] of reply.notification_ids.entries()) {
      const found = await get(id);
      assert.equal(found.content.subject, `Bulk ${index}`);
      assert.equal(found.priority, items[index]!.priority);
    }
    const before = await service.rpc<{ pending: number; delivered: number; processing: number }>(
      'GetStats',
      {},
    );
    await rejects(
      service.rpc('CreateBulkNotification', {
        notifications: [items[0], { ...items[1], recipients: [email('bad')] }],
      }),
      grpc.status.INVALID_ARGUMENT,
      /^notifications\[1\]\.recipients\[0\]\.address: /,
    );
    await rejects(service.rpc('CreateBulkNotification', { notifications: [] }), grpc.status.INVALID_ARGUMENT);
    await rejects(
      service.rpc('CreateBulkNotification', { notifications: Array.from({ length: 1001 }, () => items[0]) }),
      grpc.status.INVALID_ARGUMENT,
      /at most 1000/,
    );
    const afterStats = await service.rpc<{ pending: number; delivered: number; processing: number }>(
      'GetStats',
      {},
    );
    assert.equal(
      afterStats.pending + afterStats.delivered + afterStats.processing,
      before.pending + before.delivered + before.processing,
    );
  });

  test('GetNotification: INVALID_ARGUMENT for a malformed id, NOT_FOUND for an unknown one', async () => {
    await rejects(get(''), grpc.status.INVALID_ARGUMENT, /^notification_id: is required/);
    await rejects(get('nope'), grpc.status.INVALID_ARGUMENT, /^notification_id: /);
    await rejects(get('ntf_01HXYZ0000000000000000000A'), grpc.status.NOT_FOUND);
  });

  test('GetNotificationHistory: newest first, page 1 / 20 by default, capped at 100, four filters only', async () => {
    const page = await service.rpc<{
      notifications: NotificationMessage[];
      total: number;
      page: number;
      page_size: number;
      total_pages: number;
    }>('GetNotificationHistory', {});
    assert.equal(page.page, 1);
    assert.equal(page.page_size, 20);
    assert.ok(page.total >= 5);
    assert.equal(page.total_pages, Math.ceil(page.total / 20));
    const times = page.notifications.map((entry) => entry.created_at.seconds);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    const big = await service.rpc<{ page_size: number }>('GetNotificationHistory', { page_size: 1000 });
    assert.equal(big.page_size, 100);
    const urgent = await service.rpc<{ notifications: NotificationMessage[] }>('GetNotificationHistory', {
      filters: {
        provider_type: 'email',
        date_from: '2000-01-01',
        date_to: new Date(Date.now() + 60_000).toISOString(),
      },
    });
    assert.ok(urgent.notifications.every((entry) => entry.provider_type === 'email'));
    const none = await service.rpc<{ total: number }>('GetNotificationHistory', {
      filters: { date_to: '2000-01-01' },
    });
    assert.equal(none.total, 0);
    await rejects(
      service.rpc('GetNotificationHistory', { filters: { recipient: 'x' } }),
      grpc.status.INVALID_ARGUMENT,
      /^filters\.recipient: /,
    );
    await rejects(
      service.rpc('GetNotificationHistory', { filters: { status: 'lost' } }),
      grpc.status.INVALID_ARGUMENT,
      /^filters\.status: /,
    );
    await rejects(
      service.rpc('GetNotificationHistory', { filters: { date_from: 'yesterday' } }),
      grpc.status.INVALID_ARGUMENT,
      /^filters\.date_from: /,
    );
    await rejects(
      service.rpc('GetNotificationHistory', { page: -1 }),
      grpc.status.INVALID_ARGUMENT,
      /^page: /,
    );
  });

  test('CancelNotification: a scheduled one is cancelled and never sent; delivered → FAILED_PRECONDITION', async () => {
    const later = { seconds: Math.floor(Date.now() / 1000) + 3600, nanos: 0 };
    const scheduled = await create({
      recipients: [email('later@example.com')],
      content,
      provider_type: 'email',
      scheduled_at: later,
    });
    assert.match(scheduled.message, /^scheduled for /);
    const cancelled = await service.rpc<{ success: boolean; message: string }>('CancelNotification', {
      notification_id: scheduled.notification_id,
    });
    assert.deepEqual(cancelled, { success: true, message: 'cancelled' });
    assert.equal((await get(scheduled.notification_id)).status, 'cancelled');
    const again = await service.rpc<{ success: boolean }>('CancelNotification', {
      notification_id: scheduled.notification_id,
    });
    assert.equal(again.success, true);

    const sent = await create({ recipients: [email('now@example.com')], content, provider_type: 'email' });
    await eventually(async () => (await get(sent.notification_id)).status === 'delivered', 'delivery');
    await rejects(
      service.rpc('CancelNotification', { notification_id: sent.notification_id }),
      grpc.status.FAILED_PRECONDITION,
      /delivered/,
    );
    await rejects(service.rpc('CancelNotification', { notification_id: '' }), grpc.status.INVALID_ARGUMENT);
    await rejects(
      service.rpc('CancelNotification', { notification_id: 'ntf_01HXYZ0000000000000000000A' }),
      grpc.status.NOT_FOUND,
    );
    const mails = await service.booted.context.mailer.list();
    assert.ok(!mails.some((mail) => mail.to === 'later@example.com'), 'the cancelled mail was never sent');
  });

  test('RetryNotification: failed only, with a fresh budget; the outbound events follow each change', async () => {
    const events: string[] = [];
    const stop = await service.booted.context.bus.subscribe(
      'notification.outbound',
      'notification.#',
      async (m) => {
        if ((m.payload as { notification_id: string }).notification_id === target) events.push(m.topic);
      },
    );
    hookStatus = 400;
    let target = '';
    const created = await create({
      recipients: [{ type: 'http', address: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/x` }],
      content,
      provider_type: 'http',
      max_retries: 2,
    });
    target = created.notification_id;
    const failed = await eventually(async () => {
      const found = await get(target);
      return found.status === 'failed' && found;
    }, 'failure');
    assert.equal(failed.retry_count, 0, 'HTTP 400 is permanent: no retry');
    assert.match(failed.last_error, /HTTP 400/);
    await rejects(
      service.rpc('RetryNotification', {
        notification_id: (
          await create({ recipients: [email('x@example.com')], content, provider_type: 'email' })
        ).notification_id,
      }),
      grpc.status.FAILED_PRECONDITION,
    );
    hookStatus = 200;
    const retried = await service.rpc<{ success: boolean; message: string }>('RetryNotification', {
      notification_id: target,
    });
    assert.deepEqual(retried, { success: true, message: 'queued for retry' });
    await eventually(async () => (await get(target)).status === 'delivered', 'delivery after retry');
    await eventually(async () => events.length >= 2 && events, 'events');
    assert.deepEqual(events, ['notification.failed.http', 'notification.delivered.http']);
    await stop();
    await rejects(service.rpc('RetryNotification', { notification_id: 'bad' }), grpc.status.INVALID_ARGUMENT);
    await rejects(
      service.rpc('RetryNotification', { notification_id: 'ntf_01HXYZ0000000000000000000A' }),
      grpc.status.NOT_FOUND,
    );
  });

  test('GetStats counts exactly what the table holds', async () => {
    const stats = await eventually(async () => {
      const current = await service.rpc<Record<string, number>>('GetStats', {});
      return current.pending === 0 && current.processing === 0 && current;
    }, 'a quiet queue');
    const pool = service.booted.context.database().pool;
    const { rows } = await pool.query<{ status: string; count: number }>(
      'SELECT status, count(*)::int AS count FROM notifications GROUP BY status',
    );
    const count = (status: string) => rows.find((row) => row.status === status)?.count ?? 0;
    assert.equal(stats.pending, count('queued') + count('retrying'));
    assert.equal(stats.delivered, count('delivered'));
    assert.equal(stats.cancelled, count('cancelled'));
    assert.equal(stats.failed, count('failed'));
    assert.ok(stats.average_delivery_time! >= 0);
  });

  test('a past deadline stores nothing (DEADLINE_EXCEEDED)', async () => {
    const before = await service.rpc<{ pending: number; processing: number; delivered: number }>(
      'GetStats',
      {},
    );
    const items = Array.from({ length: 1000 }, (_, i) => ({
      recipients: [email(`dl${i}@example.com`)],
      content,
      provider_type: 'email',
      scheduled_at: { seconds: Math.floor(Date.now() / 1000) + 3600 },
    }));
    const { call } = await import('./harness.js');
    await rejects(
      call(service.notifications, 'CreateBulkNotification', { notifications: items }, { deadlineMs: 20 }),
      grpc.status.DEADLINE_EXCEEDED,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const afterStats = await service.rpc<{ pending: number }>('GetStats', {});
    assert.equal(afterStats.pending, before.pending);
  });

  test('database down → UNAVAILABLE and HealthCheck degraded; back up → served again', async () => {
    const adminUrl = new URL(service.booted.database.url);
    adminUrl.pathname = '/postgres';
    const admin = new pg.Client(adminUrl.toString());
    await admin.connect();
    const name = service.booted.database.name;
    try {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      await rejects(get('ntf_01HXYZ0000000000000000000A'), grpc.status.UNAVAILABLE, /database unavailable/);
      const health = await service.queue<{ healthy: boolean; status: string }>('HealthCheck', {});
      assert.equal(health.healthy, false);
      assert.equal(health.status, 'degraded');
      const response = await service.http.inject({ method: 'GET', url: '/health' });
      assert.equal(response.statusCode, 503);
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    }
    await eventually(async () => {
      try {
        await get('ntf_01HXYZ0000000000000000000A');
        return false;
      } catch (error) {
        return (error as grpc.ServiceError).code === grpc.status.NOT_FOUND;
      }
    }, 'recovery');
  });
});
