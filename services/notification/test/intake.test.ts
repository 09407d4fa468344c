import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eventually } from '@trustplane/kernel/testkit';
import { type Service, startService, testEnv } from './harness.js';

interface View {
  id: string;
  status: string;
  content: { subject: string; body: string };
  provider_name: string;
}

const request = (overrides: Record<string, unknown> = {}) => ({
  id: `evt-${randomUUID()}`,
  source_service: 'account-service',
  timestamp: new Date().toISOString(),
  recipient: {
    email: 'john@example.com',
    name: 'John',
    telegram_chat_id: '123456789',
    whatsapp_number: '+6281234567890',
  },
  content: {
    subject: 'Welcome to {{product}}',
    body: 'Hi {{name}}, your account is ready',
    template_data: { product: 'ikavia', name: 'John' },
  },
  provider_type: 'email',
  provider_name: 'smtp_email',
  metadata: { user_id: 'acc_1', event: 'user_registered' },
  created_at: new Date().toISOString(),
  ...overrides,
});

describe('bus intake: notification.requests and account email.requested', () => {
  let service: Service;
  before(async () => {
    testEnv();
    service = await startService();
  });
  after(async () => {
    await service.close();
  });

  /** Publishes like another service: through its outbox, committed, relayed. */
  async function publish(exchange: string, topic: string, payload: unknown, messageId = randomUUID()) {
    await service.booted.context.outbox.publish(service.booted.context.database().pool, {
      exchange,
      topic,
      payload,
      messageId,
    });
    return messageId;
  }

  const byDedupId = async (id: string) => {
    const { rows } = await service.booted.context
      .database()
      .pool.query<{ notification_id: string | null; outcome: string }>(
        'SELECT notification_id, outcome FROM processed_messages WHERE message_id = $1',
        [id],
      );
    return rows[0];
  };

  test('a request on notification.requests becomes a templated, delivered notification', async () => {
    const event = request();
    await publish('notification.requests', 'email.send', event);
    const processed = await eventually(async () => {
      const row = await byDedupId(event.id);
      return row?.notification_id ? row : undefined;
    }, 'intake');
    assert.equal(processed.outcome, 'accepted');
    const view = await eventually(async () => {
      const found = await service.rpc<View>('GetNotification', {
        notification_id: processed.notification_id!,
      });
      return found.status === 'delivered' && found;
    }, 'delivery');
    assert.equal(view.content.subject, 'Welcome to ikavia');
    assert.equal(view.provider_name, 'smtp_email');
    const mail = (await service.booted.context.mailer.list()).find(
      (entry) => entry.subject === 'Welcome to ikavia',
    );
    assert.equal(mail?.text.trim(), 'Hi John, your account is ready');
  });

  test('the same id published twice (different bus message ids) gives one notification', async () => {
    const event = request({ content: { subject: 'Once', body: 'only once' } });
    await publish('notification.requests', 'email.send', event);
    await publish('notification.requests', 'email.send', event);
    await eventually(async () => (await byDedupId(event.id))?.notification_id, 'intake');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const { rows } = await service.booted.context
      .database()
      .pool.query('SELECT count(*)::int AS n FROM notifications WHERE source_message_id = $1', [event.id]);
    assert.equal(rows[0].n, 1);
    const ledger = await service.booted.context
      .database()
      .pool.query(
        "SELECT status FROM message_ledger WHERE queue = 'notification.events.queue' AND payload->>'id' = $1",
        [event.id],
      );
    assert.deepEqual(ledger.rows.map((row) => row.status).sort(), ['acked', 'duplicate']);
  });

  test('unknown provider, missing template variable, malformed payload: dead-lettered without retry', async () => {
    const unknown = request({ provider_name: 'nope' });
    const strict = request({
      content: { subject: 'Hi {{missing}}', body: 'b', template_data: { name: 'x' } },
    });
    const malformed = { id: `evt-${randomUUID()}`, hello: 'world' };
    await publish('notification.requests', 'email.send', unknown);
    await publish('notification.requests', 'email.send', strict);
    await publish('notification.requests', 'telegram.send', malformed);
    const dead = await eventually(async () => {
      const list = await service.runtime.deadLetters.list();
      return list.filter((entry) => entry.source_queue === 'notification.events.queue').length >= 3 && list;
    }, 'dead letters');
    const reasons = dead.map((entry) => entry.reason).join('\n');
    assert.match(reasons, /unknown provider: nope/);
    assert.match(reasons, /"missing" not defined/);
    assert.match(reasons, /malformed: /);
    for (const entry of dead) assert.equal(entry.attempts, 1);
  });

  test('a dead letter replays once', async () => {
    const event = request({ provider_name: 'nope' });
    await publish('notification.requests', 'email.send', event);
    const entry = await eventually(
      async () =>
        (await service.runtime.deadLetters.list()).find(
          (dead) => (dead.payload as { id?: string }).id === event.id,
        ),
      'dead letter',
    );
    await service.runtime.deadLetters.replay(entry.id);
    await assert.rejects(service.runtime.deadLetters.replay(entry.id), /already replayed/);
    // Still unroutable: a new dead letter, not a silent drop.
    const next = (await service.runtime.deadLetters.list()).filter(
      (dead) => (dead.payload as { id?: string }).id === event.id,
    );
    assert.equal(next.length, 1);
    assert.notEqual(next[0]!.id, entry.id);
  });

  test("account's email.requested → verification mail with the link; the token is never stored in clear", async () => {
    const token = `tok_${randomUUID()}`;
    const messageId = await publish('account.events', 'email.requested', {
      event_type: 'email.requested',
      to: 'new@example.com',
      template: 'email_verification',
      display_name: '<b>Jane</b>',
      token,
      base_url: 'http://localhost:8874',
      is_resend: false,
    });
    const mail = await eventually(
      async () =>
        (await service.booted.context.mailer.list()).find((entry) => entry.to === 'new@example.com'),
      'verification mail',
    );
    assert.equal(mail.subject, 'Verify your email address');
    assert.ok(mail.text.includes(`http://localhost:8874/verify-email?token=${token}`));
    assert.ok(mail.html?.includes('Hi &lt;b&gt;Jane&lt;/b&gt;,'));
    const processed = await eventually(async () => byDedupId(messageId), 'processed');
    const pool = service.booted.context.database().pool;
    // The mail reaches the sink before the attempt settles: the wipe comes with `delivered`.
    await eventually(async () => {
      const { rows } = await pool.query('SELECT status FROM notifications WHERE id = $1', [
        processed.notification_id,
      ]);
      return rows[0]?.status === 'delivered';
    }, 'delivered');
    const rows = await pool.query(
      `SELECT n.content::text AS content, coalesce(n.sealed_content, '') AS sealed,
              (SELECT string_agg(payload::text, '') FROM message_ledger) AS ledger
         FROM notifications n WHERE id = $1`,
      [processed.notification_id],
    );
    const row = rows.rows[0];
    assert.ok(!row.content.includes(token), 'content is redacted');
    assert.equal(row.sealed, '', 'the sealed copy is wiped once delivered');
    assert.ok(!row.ledger.includes(token), 'the ledger keeps no token');
    // A copy of the same outbox message is dropped.
    await publish(
      'account.events',
      'email.requested',
      { to: 'new@example.com', template: 'email_verification', token, base_url: 'http://localhost:8874' },
      messageId,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(
      (await service.booted.context.mailer.list()).filter((entry) => entry.to === 'new@example.com').length,
      1,
    );
  });
});
