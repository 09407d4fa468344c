import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import pino from 'pino';
import { createDatabase, createPool, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { JobQueue } from '../src/jobs/job-queue.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';
import { verifyWebhookSignature } from '../src/webhooks/signing.js';
import type { HostLookup } from '../src/webhooks/ssrf-guard.js';
import {
  InvalidWebhookError,
  type WebhookDeliveryDetail,
  type WebhookDeliveryRequest,
  WebhookDispatcher,
} from '../src/webhooks/webhook-dispatcher.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const migrations = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'migrations');
const secret = 'whsec_e2e_0123456789abcdef';

interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface ServiceDb {
  sessions: { id: string; status: string };
}

describe('WebhookDispatcher (real PostgreSQL, pg-boss and HTTP receiver)', { concurrency: true }, () => {
  let database: TestDatabase;
  let service: Database<ServiceDb>;
  let pool: pg.Pool;
  let jobs: JobQueue;
  let receiver: http.Server;
  let base: string;
  /** Retries quickly; private destinations allowed, as in development. */
  let dispatcher: WebhookDispatcher;
  /** Two attempts of at most 500 ms each. */
  let short: WebhookDispatcher;
  /** Production setting: private destinations refused. */
  let strict: WebhookDispatcher;
  const received: ReceivedRequest[] = [];
  const flakyFailures = new Map<string, number>();

  const lookup: HostLookup = async (host) => {
    if (host === 'receiver.test') return [{ address: '127.0.0.1', family: 4 }];
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  };

  function requestsFor(deliveryId: string): ReceivedRequest[] {
    return received.filter((request) => request.headers['x-trustplane-delivery'] === deliveryId);
  }

  async function settled(from: WebhookDispatcher, id: string): Promise<WebhookDeliveryDetail> {
    // The deadline only guards against a hung test; it asserts nothing about speed.
    const until = Date.now() + 25_000;
    for (;;) {
      const delivery = await from.getDelivery(id);
      assert.ok(delivery, `delivery ${id} exists`);
      if (delivery.status !== 'pending') return delivery;
      if (Date.now() > until) throw new Error(`delivery ${id} still pending`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function jobStates(queue: string, deliveryId: string): Promise<string[]> {
    const { rows } = await pool.query<{ state: string }>(
      "SELECT state FROM pgboss.job WHERE name = $1 AND data->>'deliveryId' = $2",
      [queue, deliveryId],
    );
    return rows.map((row) => row.state);
  }

  before(async () => {
    database = await createTestDatabase('webhooks');
    await migrate(database.url, 'platform', migrations);
    service = createDatabase<ServiceDb>({ url: database.url, schema: 'app' });
    await service.pool.query(
      'CREATE SCHEMA app; CREATE TABLE app.sessions (id text PRIMARY KEY, status text NOT NULL)',
    );
    pool = createPool({ url: database.url, schema: 'app' });

    receiver = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const url = request.url ?? '/';
        received.push({
          method: request.method ?? '',
          path: url,
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const deliveryId = String(request.headers['x-trustplane-delivery']);
        if (url === '/ok') {
          response.writeHead(200).end('ok');
        } else if (url === '/flaky') {
          const failures = flakyFailures.get(deliveryId) ?? 0;
          flakyFailures.set(deliveryId, failures + 1);
          if (failures < 2) response.writeHead(500).end('not yet');
          else response.writeHead(204).end();
        } else if (url === '/always-500') {
          response.writeHead(500).end('broken');
        } else if (url === '/redirect') {
          response.writeHead(302, { Location: `${base}/redirect-target` }).end();
        } else if (url === '/hang') {
          // Never answers: the dispatcher's timeout ends the attempt.
        } else {
          response.writeHead(200).end();
        }
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

    jobs = new JobQueue({ databaseUrl: database.url, logger });
    const common = { jobs, pool, logger, pollingIntervalSeconds: 0.5, retryDelaySeconds: 1, lookup };
    dispatcher = new WebhookDispatcher({
      ...common,
      allowPrivateDestinations: true,
      secretKey: Buffer.alloc(32, 7),
      queue: 'test.webhooks',
      maxAttempts: 4,
      timeoutMs: 5000,
    });
    short = new WebhookDispatcher({
      ...common,
      allowPrivateDestinations: true,
      secretKey: Buffer.alloc(32, 7),
      queue: 'test.webhooks-short',
      maxAttempts: 2,
      timeoutMs: 500,
    });
    strict = new WebhookDispatcher({
      ...common,
      allowPrivateDestinations: false,
      secretKey: Buffer.alloc(32, 7),
      queue: 'test.webhooks-strict',
    });
    await jobs.work([dispatcher.queue, short.queue, strict.queue]);
  });

  after(async () => {
    await jobs.stop();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
    await pool.end();
    await service.close();
    await database.drop();
  });

  test('delivers a signed POST, enqueued in the caller’s Kysely transaction', async () => {
    const payload = { event: 'verification.completed', data: { id: 'ses_1', status: 'approved' } };
    const id = await service.transaction(async (trx) => {
      await trx.insertInto('sessions').values({ id: 'ses_1', status: 'approved' }).execute();
      return dispatcher.enqueue(trx, {
        url: `${base}/ok`,
        secret,
        event: 'verification.completed',
        payload,
        owner: 'kyc:tenant-1',
        headers: { 'X-Tenant': 'tenant-1' },
      });
    });
    const delivery = await settled(dispatcher, id);
    assert.equal(delivery.status, 'delivered');
    assert.equal(delivery.attempts, 1);
    assert.equal(delivery.lastStatusCode, 200);
    assert.equal(delivery.lastError, null);
    assert.ok(delivery.deliveredAt instanceof Date);
    assert.equal(delivery.nextAttemptAt, null);
    assert.deepEqual(
      delivery.attemptLog.map(({ attempt, statusCode, error }) => ({ attempt, statusCode, error })),
      [{ attempt: 1, statusCode: 200, error: null }],
    );
    assert.equal('secret' in delivery, false);

    const [request, ...others] = requestsFor(id);
    assert.ok(request);
    assert.equal(others.length, 0);
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/ok');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['x-trustplane-event'], 'verification.completed');
    assert.equal(request.headers['x-tenant'], 'tenant-1');
    assert.match(String(request.headers['user-agent']), /^Trustplane-Webhooks/);
    assert.deepEqual(JSON.parse(request.body), payload);
    const signature = String(request.headers['x-trustplane-signature']);
    assert.equal(verifyWebhookSignature(secret, request.body, signature), true);
    assert.equal(signature.startsWith(`t=${request.headers['x-trustplane-timestamp']},v1=`), true);
    assert.equal(verifyWebhookSignature('wrong-secret-value', request.body, signature), false);

    const stored = await pool.query<{ secret: string }>(
      'SELECT secret FROM platform.webhook_deliveries WHERE id = $1',
      [id],
    );
    assert.ok(!stored.rows[0]!.secret.includes(secret), 'the receiver secret is sealed at rest');
  });

  test('a receiver failing twice then succeeding: delivered after 3 attempts, each logged', async () => {
    const client = await pool.connect();
    let id: string;
    try {
      await client.query('BEGIN');
      id = await dispatcher.enqueue(client, {
        url: `${base}/flaky`,
        secret,
        event: 'verification.extraction',
        payload: { n: 1 },
        owner: 'kyc:tenant-2',
        signatureHeader: 'X-Kyc-Signature',
      });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const delivery = await settled(dispatcher, id);
    assert.equal(delivery.status, 'delivered');
    assert.equal(delivery.attempts, 3);
    assert.deepEqual(
      delivery.attemptLog.map(({ attempt, statusCode, error }) => ({ attempt, statusCode, error })),
      [
        { attempt: 1, statusCode: 500, error: 'HTTP 500' },
        { attempt: 2, statusCode: 500, error: 'HTTP 500' },
        { attempt: 3, statusCode: 204, error: null },
      ],
    );
    const requests = requestsFor(id);
    assert.equal(requests.length, 3);
    for (const request of requests) {
      // Same delivery id on every retry (receivers deduplicate on it), signed afresh each time.
      assert.equal(request.headers['x-trustplane-delivery'], id);
      assert.equal(request.headers['x-trustplane-signature'], undefined);
      assert.equal(
        verifyWebhookSignature(secret, request.body, String(request.headers['x-kyc-signature'])),
        true,
      );
    }
  });

  test('connects to the vetted address of a host name (no second DNS resolution)', async () => {
    const port = new URL(base).port;
    const id = await dispatcher.enqueue(pool, {
      url: `http://receiver.test:${port}/ok`,
      secret,
      event: 'ping',
      payload: {},
    });
    const delivery = await settled(dispatcher, id);
    assert.equal(delivery.status, 'delivered');
    assert.equal(requestsFor(id)[0]?.headers.host, `receiver.test:${port}`);
  });

  test('a transaction that rolls back leaves neither a delivery nor a job', async () => {
    let id = '';
    await assert.rejects(
      service.transaction(async (trx) => {
        id = await dispatcher.enqueue(trx, { url: `${base}/ok`, secret, event: 'rolled.back', payload: {} });
        throw new Error('caller failed');
      }),
      /caller failed/,
    );
    assert.notEqual(id, '');
    assert.equal(await dispatcher.getDelivery(id), undefined);
    assert.deepEqual(await jobStates(dispatcher.queue, id), []);
  });

  test('after maxAttempts the delivery is failed and its job dead-lettered', async () => {
    const id = await short.enqueue(pool, { url: `${base}/always-500`, secret, event: 'doomed', payload: {} });
    const delivery = await settled(short, id);
    assert.equal(delivery.status, 'failed');
    assert.equal(delivery.attempts, 2);
    assert.equal(delivery.lastStatusCode, 500);
    assert.equal(delivery.lastError, 'HTTP 500');
    assert.equal(delivery.nextAttemptAt, null);
    assert.equal(delivery.attemptLog.length, 2);
    assert.equal(requestsFor(id).length, 2);
    // pg-boss files the dead letter right after the last run's failure.
    const until = Date.now() + 10_000;
    while ((await jobStates(`${short.queue}.dead`, id)).length === 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal((await jobStates(`${short.queue}.dead`, id)).length, 1);
  });

  test('redirects are not followed', async () => {
    const id = await short.enqueue(pool, { url: `${base}/redirect`, secret, event: 'moved', payload: {} });
    const delivery = await settled(short, id);
    assert.equal(delivery.status, 'failed');
    assert.equal(delivery.lastStatusCode, 302);
    assert.equal(
      received.filter((request) => request.path === '/redirect-target').length,
      0,
      'the redirect target was never called',
    );
  });

  test('a receiver that does not answer in time is a failed attempt', async () => {
    const id = await short.enqueue(pool, { url: `${base}/hang`, secret, event: 'slow', payload: {} });
    const delivery = await settled(short, id);
    assert.equal(delivery.status, 'failed');
    assert.equal(delivery.lastStatusCode, null);
    assert.deepEqual(
      delivery.attemptLog.map((attempt) => attempt.statusCode),
      [null, null],
    );
    for (const attempt of delivery.attemptLog) assert.match(attempt.error ?? '', /timed out after 500 ms/);
  });

  test('an unsafe destination fails at once, without any request and without retry', async () => {
    const id = await strict.enqueue(pool, {
      url: `${base}/ok`,
      secret,
      event: 'ssrf',
      payload: {},
      owner: 'x',
    });
    const delivery = await settled(strict, id);
    assert.equal(delivery.status, 'failed');
    assert.equal(delivery.attempts, 1);
    assert.equal(delivery.lastStatusCode, null);
    assert.match(delivery.lastError ?? '', /127\.0\.0\.1, which is not a public address/);
    assert.equal(requestsFor(id).length, 0);
    // The delivery row settles inside the handler; pg-boss marks the job completed just after.
    const until = Date.now() + 10_000;
    while ((await jobStates(strict.queue, id)).includes('active') && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(await jobStates(strict.queue, id), ['completed']);
  });

  test('a host name that does not resolve is retried like any failed attempt', async () => {
    const id = await short.enqueue(pool, {
      url: 'http://unknown.test/hook',
      secret,
      event: 'dns',
      payload: {},
    });
    const delivery = await settled(short, id);
    assert.equal(delivery.status, 'failed');
    assert.equal(delivery.attempts, 2);
    assert.match(delivery.lastError ?? '', /cannot resolve unknown\.test \(ENOTFOUND\)/);
  });

  test('lists an owner’s deliveries, newest first, without secrets; getDelivery respects the owner', async () => {
    const owner = `backlex:${crypto.randomUUID()}`;
    const first = await dispatcher.enqueue(pool, {
      url: `${base}/ok`,
      secret,
      event: 'a',
      payload: { n: 1 },
      owner,
    });
    const second = await dispatcher.enqueue(pool, {
      url: `${base}/ok`,
      secret,
      event: 'b',
      payload: { n: 2 },
      owner,
    });
    await dispatcher.enqueue(pool, {
      url: `${base}/ok`,
      secret,
      event: 'c',
      payload: {},
      owner: `${owner}-other`,
    });
    await settled(dispatcher, first);
    await settled(dispatcher, second);
    const listed = await dispatcher.listDeliveries(owner);
    assert.deepEqual(listed.map((delivery) => delivery.id).sort(), [first, second].sort());
    assert.ok(listed[0]!.createdAt >= listed[1]!.createdAt);
    for (const delivery of listed) assert.equal('secret' in delivery, false);
    assert.deepEqual(await dispatcher.listDeliveries(owner, { status: 'failed' }), []);
    assert.equal((await dispatcher.getDelivery(first, { owner }))?.id, first);
    assert.equal(await dispatcher.getDelivery(first, { owner: 'someone-else' }), undefined);
    assert.equal(await dispatcher.getDelivery('not-a-uuid'), undefined);
  });

  test('refuses invalid deliveries before writing anything', async () => {
    const valid = { url: `${base}/ok`, secret, event: 'e', payload: {} };
    const invalid: WebhookDeliveryRequest[] = [
      { ...valid, url: 'ftp://example.com/' },
      { ...valid, url: 'nope' },
      { ...valid, secret: '' },
      { ...valid, event: '' },
      { ...valid, headers: { 'X-Trustplane-Delivery': 'forged' } },
      { ...valid, headers: { 'content-type': 'text/plain' } },
      { ...valid, headers: { 'X-Ok': 'line\r\nInjected: yes' } },
      { ...valid, headers: { 'Bad Header': 'x' } },
      { ...valid, signatureHeader: 'Content-Type' },
    ];
    for (const delivery of invalid) {
      await assert.rejects(dispatcher.enqueue(pool, delivery), InvalidWebhookError, JSON.stringify(delivery));
    }
  });

  test('reuses a connection to the same vetted addresses, never one connected before the name resolved elsewhere', async () => {
    // One receiver on every loopback address; each request notes the connection it came on.
    const seen: { connection: number; localAddress: string | undefined }[] = [];
    let connections = 0;
    const wide = http.createServer((request, response) => {
      seen.push({
        connection: (request.socket as unknown as { benchId: number }).benchId,
        localAddress: request.socket.localAddress?.replace(/^::ffff:/, ''),
      });
      request.resume();
      request.on('end', () => response.writeHead(204).end());
    });
    wide.on('connection', (socket) => {
      connections += 1;
      (socket as unknown as { benchId: number }).benchId = connections;
    });
    await new Promise<void>((resolve) => wide.listen(0, '0.0.0.0', resolve));
    const port = (wide.address() as AddressInfo).port;
    let answer = '127.0.0.1';
    const rebinding = new WebhookDispatcher({
      jobs,
      pool,
      logger,
      pollingIntervalSeconds: 0.5,
      retryDelaySeconds: 1,
      lookup: async () => [{ address: answer, family: 4 }],
      allowPrivateDestinations: true,
      secretKey: Buffer.alloc(32, 7),
      queue: 'test.webhooks-rebind',
    });
    await jobs.work([rebinding.queue]);
    const deliver = async () => {
      const id = await rebinding.enqueue(pool, {
        url: `http://rebind.test:${port}/ok`,
        secret,
        event: 'x',
        payload: {},
      });
      assert.equal((await settled(rebinding, id)).status, 'delivered');
    };
    try {
      await deliver();
      await deliver();
      // Same name, same vetted address: the second delivery came on the first one's connection.
      assert.deepEqual(seen, [
        { connection: 1, localAddress: '127.0.0.1' },
        { connection: 1, localAddress: '127.0.0.1' },
      ]);
      // The name now resolves elsewhere: a new connection to the newly vetted address, not the
      // pooled one to the address vetted before.
      answer = '127.0.0.2';
      await deliver();
      assert.deepEqual(seen[2], { connection: 2, localAddress: '127.0.0.2' });
    } finally {
      await jobs.stopWorking(rebinding.queue);
      wide.closeAllConnections();
      await new Promise((resolve) => wide.close(resolve));
    }
  });
});
