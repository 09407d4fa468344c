import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  type ExternalServer,
  hasRabbitMqServer,
  startRabbitMq,
  eventually,
} from '@trustplane/kernel/testkit';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { email, type Service, startService, testEnv } from './harness.js';

interface Received {
  to: string;
  attempt: number;
  mail?: ParsedMail;
}

interface View {
  status: string;
  retry_count: number;
  last_error: string;
  attempts: number;
}

/** A real SMTP server: `temp…@` gets 451 after DATA on its first attempt, `perm…@` 550 at RCPT. */
async function startSmtp() {
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('perm')) {
        const error = new Error('mailbox unavailable') as Error & { responseCode: number };
        error.responseCode = 550;
        callback(error);
      } else callback();
    },
    onData(stream, session, callback) {
      const to = session.envelope.rcptTo[0]!.address;
      const attempt = (attempts.get(to) ?? 0) + 1;
      attempts.set(to, attempt);
      simpleParser(stream).then((mail) => {
        received.push({ to, attempt, mail });
        if (to.startsWith('temp') && attempt === 1) {
          const error = new Error('try again later') as Error & { responseCode: number };
          error.responseCode = 451;
          callback(error);
        } else callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { server, received, url: `smtp://127.0.0.1:${port}` };
}

/**
 * The same journeys in both modes: embedded (attempts as pg-boss jobs) and with AMQP_URL (attempts
 * on RabbitMQ: the backoff through the delay queues of the steps — 100, 200, 400 ms ± 20 % here —,
 * a longer Retry-After held in PostgreSQL, permanent failures rejected to the broker's DLX).
 */
function deliverySuite(label: string, options: { broker: boolean }) {
  describe(label, {
    skip: options.broker && !hasRabbitMqServer() && 'rabbitmq-server is not installed (.ci/run installs it)',
  }, () => {
    let broker: ExternalServer | undefined;
    let service: Service;
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let hook: http.Server;
    let hookUrl: string;
    const hookHits: {
      path: string;
      at: number;
      signature: string | undefined;
      delivery: string | undefined;
    }[] = [];
    before(async () => {
      smtp = await startSmtp();
      hook = http.createServer((request, response) => {
        request.resume();
        request.on('end', () => {
          const path = request.url ?? '';
          const hits = hookHits.filter((hit) => hit.path === path).length;
          hookHits.push({
            path,
            at: Date.now(),
            signature: request.headers['x-trustplane-signature'] as string | undefined,
            delivery: request.headers['x-trustplane-delivery'] as string | undefined,
          });
          if (path === '/throttled' && hits === 0) response.writeHead(429, { 'Retry-After': '1' }).end();
          else if (path === '/down') response.writeHead(503).end();
          else if (path === '/gone') response.writeHead(404).end();
          else response.writeHead(200).end('ok');
        });
      });
      await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
      hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
      testEnv({
        NOTIFICATION_PROVIDERS: JSON.stringify({ hooks: { type: 'http', secret: 'whsec_test_secret' } }),
      });
      if (options.broker) broker = await startRabbitMq();
      service = await startService({
        env: { SMTP_URL: smtp.url, ...(broker ? { AMQP_URL: broker.url } : {}) },
      });
    });
    after(async () => {
      await service?.close();
      await broker?.stop();
      await new Promise((resolve) => smtp.server.close(() => resolve(undefined)));
      await new Promise((resolve) => hook.close(resolve));
    });

    const create = (request: object) =>
      service.rpc<{ notification_id: string }>('CreateNotification', request);
    const get = (id: string) => service.rpc<View>('GetNotification', { notification_id: id });
    const settled = (id: string) =>
      eventually(async () => {
        const found = await get(id);
        return ['delivered', 'failed', 'cancelled'].includes(found.status) && found;
      }, `notification ${id} to settle`);

    test('SMTP 250: delivered with a text and an HTML part, the recipient name, our Message-ID', async () => {
      const { notification_id: id } = await create({
        recipients: [email('ok@example.com', 'Ok Person')],
        content: { subject: 'Parts', body: 'plain text', html_body: '<p>html <b>text</b></p>' },
        provider_type: 'email',
      });
      assert.equal((await settled(id)).status, 'delivered');
      const mail = smtp.received.find((entry) => entry.to === 'ok@example.com')!.mail!;
      assert.equal(mail.subject, 'Parts');
      assert.equal(mail.text?.trim(), 'plain text');
      assert.equal(String(mail.html).trim(), '<p>html <b>text</b></p>');
      assert.deepEqual((mail.to as { value: { name: string; address: string }[] }).value, [
        { name: 'Ok Person', address: 'ok@example.com' },
      ]);
      assert.equal(mail.messageId, `<${id}.0@localhost>`);
      assert.equal(mail.headers.get('x-notification-id'), id);
    });

    test("with SMTP_URL account's email.requested reaches the SMTP server: the verification mail with its link", async () => {
      const token = `tok_${Date.now()}_smtp`;
      await service.booted.context.outbox.publish(service.booted.context.database().pool, {
        exchange: 'account.events',
        topic: 'email.requested',
        payload: {
          event_type: 'email.requested',
          to: 'verify-smtp@example.com',
          template: 'email_verification',
          display_name: 'Smtp <User>',
          token,
          base_url: 'http://localhost:8874',
        },
        deleteOnPublish: true,
        mandatory: true,
      });
      const received = await eventually(
        async () => smtp.received.find((entry) => entry.to === 'verify-smtp@example.com'),
        'the verification mail at the SMTP server',
      );
      const mail = received.mail!;
      assert.equal(mail.subject, 'Verify your email address');
      assert.ok(mail.text?.includes(`http://localhost:8874/verify-email?token=${token}`));
      assert.ok(String(mail.html).includes('Smtp &lt;User&gt;'), 'the name is escaped in HTML');
      assert.equal(
        (await service.booted.context.mailer.list()).length,
        0,
        'nothing in the sink with SMTP_URL',
      );
    });

    test('an HTML-only body gets a text part without scripts, styles or tags', async () => {
      const html =
        '<style>p{color:red}</style><p>Hello <b>Ada</b> &amp; co</p><script>alert(1)</script><p><a href="https://example.com/x">open</a></p>';
      const { notification_id: id } = await create({
        recipients: [email('htmlonly@example.com')],
        content: { subject: 'Html', body: html, is_html: true },
        provider_type: 'email',
      });
      assert.equal((await settled(id)).status, 'delivered');
      const mail = smtp.received.find((entry) => entry.to === 'htmlonly@example.com')!.mail!;
      const text = mail.text ?? '';
      assert.match(text, /Hello Ada & co/);
      assert.match(text, /open \[https:\/\/example\.com\/x\]/);
      assert.doesNotMatch(text, /alert|color:red|<p>/);
      assert.equal(String(mail.html).trim(), html);
    });

    test('SMTP 451 after DATA is retried with the same Message-ID, then delivered', async () => {
      const { notification_id: id } = await create({
        recipients: [email('temp@example.com')],
        content: { subject: 'Retry', body: 'b' },
        provider_type: 'email',
      });
      const done = await settled(id);
      assert.equal(done.status, 'delivered');
      assert.equal(done.retry_count, 1);
      const copies = smtp.received.filter((entry) => entry.to === 'temp@example.com');
      assert.equal(copies.length, 2);
      assert.equal(copies[0]!.mail!.messageId, copies[1]!.mail!.messageId);
    });

    test('SMTP 550 is permanent: failed at once, dead-lettered with reason and attempts', async () => {
      const { notification_id: id } = await create({
        recipients: [email('perm@example.com')],
        content: { subject: 'Nope', body: 'b' },
        provider_type: 'email',
      });
      const done = await settled(id);
      assert.equal(done.status, 'failed');
      assert.equal(done.attempts, 1, 'no retry after a 5xx');
      assert.match(done.last_error, /SMTP 550/);
      const dead = (await service.runtime.deadLetters.list()).find((entry) => entry.notification_id === id);
      assert.ok(dead);
      assert.match(dead.reason, /SMTP 550/);
      assert.equal(dead.attempts, 1);
      assert.equal(
        (dead.payload as { recipients: { address: string }[] }).recipients[0]!.address,
        'perm@example.com',
      );
    });

    test('HTTP 429 with Retry-After waits at least that long, then delivers; requests are signed', async () => {
      const { notification_id: id } = await create({
        recipients: [{ type: 'http', address: `${hookUrl}/throttled` }],
        content: { subject: 's', body: 'b' },
        provider_type: 'http',
      });
      const done = await settled(id);
      assert.equal(done.status, 'delivered');
      const hits = hookHits.filter((hit) => hit.path === '/throttled');
      assert.equal(hits.length, 2);
      assert.ok(hits[1]!.at - hits[0]!.at >= 950, 'Retry-After: 1 was honoured');
      assert.match(hits[0]!.signature ?? '', /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.equal(hits[0]!.delivery, `${id}.0`);
    });

    test('HTTP 5xx until the budget is spent → failed + DLQ; RetryNotification replays with a fresh budget', async () => {
      const { notification_id: id } = await create({
        recipients: [{ type: 'http', address: `${hookUrl}/down` }],
        content: { subject: 's', body: 'b' },
        provider_type: 'http',
        max_retries: 2,
      });
      const done = await settled(id);
      assert.equal(done.status, 'failed');
      assert.equal(done.attempts, 3);
      assert.equal(done.retry_count, 2);
      assert.equal(hookHits.filter((hit) => hit.path === '/down').length, 3);
      const dead = (await service.runtime.deadLetters.list()).find((entry) => entry.notification_id === id)!;
      assert.equal(dead.attempts, 3);
      await service.runtime.deadLetters.replay(dead.id);
      const again = await settled(id);
      assert.equal(again.status, 'failed');
      assert.equal(hookHits.filter((hit) => hit.path === '/down').length, 6, 'a fresh budget of 3 attempts');
      await assert.rejects(service.runtime.deadLetters.replay(dead.id), /already replayed/);
    });

    test('HTTP 404 is permanent; a multi-recipient notification does not resend what was accepted', async () => {
      const { notification_id: id } = await create({
        recipients: [
          { type: 'http', address: `${hookUrl}/fine` },
          { type: 'http', address: `${hookUrl}/gone` },
        ],
        content: { subject: 's', body: 'b' },
        provider_type: 'http',
      });
      const done = await settled(id);
      assert.equal(done.status, 'failed');
      assert.equal(done.attempts, 1);
      await service.rpc('RetryNotification', { notification_id: id });
      await settled(id);
      assert.equal(
        hookHits.filter((hit) => hit.path === '/fine').length,
        1,
        'the accepted recipient is skipped',
      );
      assert.equal(hookHits.filter((hit) => hit.path === '/gone').length, 2);
    });

    test('cancel racing a worker: a processing notification gets no further attempt', async () => {
      const { notification_id: id } = await create({
        recipients: [{ type: 'http', address: `${hookUrl}/down` }],
        content: { subject: 's', body: 'b' },
        provider_type: 'http',
        max_retries: 10,
      });
      await eventually(async () => (await get(id)).attempts >= 1 && true, 'a first attempt');
      const cancelled = await service.rpc<{ success: boolean }>('CancelNotification', {
        notification_id: id,
      });
      assert.equal(cancelled.success, true);
      const done = await settled(id);
      assert.equal(done.status, 'cancelled');
      const attempts = done.attempts;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal((await get(id)).attempts, attempts, 'no attempt after the cancel');
    });
  });
}

deliverySuite('delivery over real SMTP and HTTP', { broker: false });
deliverySuite('the same deliveries with AMQP_URL (attempts on RabbitMQ)', { broker: true });
