import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { eventually } from '@trustplane/kernel/testkit';
import { email, type Service, startService, testEnv } from './harness.js';

interface View {
  status: string;
  last_error: string;
  retry_count: number;
}

/**
 * A service as deployed outside tests: private webhook destinations refused (the test runner
 * allows them everywhere else), and one delivery worker, so the order attempts are taken in shows.
 */
describe('queue order by priority, and the SSRF guard of the http channel', () => {
  let service: Service;
  let hook: http.Server;
  let hookPort: number;
  let hookHits = 0;
  before(async () => {
    hook = http.createServer((request, response) => {
      hookHits += 1;
      request.resume();
      request.on('end', () => response.writeHead(200).end('ok'));
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookPort = (hook.address() as AddressInfo).port;
    testEnv({
      NOTIFICATION_PROVIDERS: JSON.stringify({ hooks: { type: 'http', secret: 'whsec_test_secret' } }),
      NOTIFICATION_WORKER_CONCURRENCY: '1',
    });
    service = await startService({ env: { TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS: '0' } });
  });
  after(async () => {
    await service.close();
    await new Promise((resolve) => hook.close(resolve));
  });

  const get = (id: string) => service.rpc<View>('GetNotification', { notification_id: id });

  test('attempts due together are taken urgent > high > normal > low, whatever the creation order', async () => {
    const order = ['low', 'normal', 'urgent', 'high', 'low', 'urgent', 'normal', 'high'];
    // One transaction, one due time: every attempt becomes ready at once, in the same queue.
    const scheduledAt = { seconds: Math.floor(Date.now() / 1000) + 2, nanos: 0 };
    const { notification_ids: ids } = await service.rpc<{ notification_ids: string[] }>(
      'CreateBulkNotification',
      {
        notifications: order.map((priority, index) => ({
          recipients: [email(`order${index}@example.com`)],
          content: { subject: `order ${priority} ${index}`, body: 'x' },
          provider_type: 'email',
          priority,
          scheduled_at: scheduledAt,
        })),
      },
    );
    for (const id of ids)
      await eventually(async () => (await get(id)).status === 'delivered', `${id} delivered`, 60_000);
    const sent = (await service.booted.context.mailer.list())
      .filter((mail) => mail.subject.startsWith('order '))
      .map((mail) => mail.subject.split(' ')[1]);
    assert.deepEqual(sent, ['urgent', 'urgent', 'high', 'high', 'normal', 'normal', 'low', 'low']);
  });

  test('a private or loopback IP literal as an http recipient is INVALID_ARGUMENT naming the field', async () => {
    for (const address of [
      `http://127.0.0.1:${hookPort}/hook`,
      'http://10.0.0.5/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/hook',
    ]) {
      const error = (await service
        .rpc('CreateNotification', {
          recipients: [{ type: 'http', address }],
          content: { subject: 's', body: '{}' },
          provider_type: 'http',
        })
        .then(
          () => assert.fail(`${address} was accepted`),
          (failure: unknown) => failure,
        )) as grpc.ServiceError;
      assert.equal(error.code, grpc.status.INVALID_ARGUMENT, `${address}: ${error.details}`);
      assert.match(error.details, /^recipients\[0\]\.address: /);
    }
  });

  test('a host name resolving to loopback is refused at delivery: failed at once, never contacted', async () => {
    const { notification_id: id } = await service.rpc<{ notification_id: string }>('CreateNotification', {
      recipients: [{ type: 'http', address: `http://localhost:${hookPort}/hook` }],
      content: { subject: 's', body: '{}' },
      provider_type: 'http',
    });
    const settled = await eventually(async () => {
      const found = await get(id);
      return ['delivered', 'failed'].includes(found.status) && found;
    }, 'the notification to settle');
    assert.equal(settled.status, 'failed');
    assert.equal(settled.retry_count, 0, 'a refused destination is permanent: no retry');
    assert.match(settled.last_error, /destination refused/);
    assert.equal(hookHits, 0, 'the local server was never contacted');
  });
});
