import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ServiceError, verifyWebhookSignature } from '@trustplane/kernel';
import {
  type BootedService,
  bootService,
  eventually,
  startWebhookReceiver,
  type WebhookReceiver,
} from '@trustplane/kernel/testkit';
import type { Kysely } from 'kysely';
import type { EventsDatabase } from '../src/db/events-tables.js';
import { type BacklexEvents, createBacklexEvents, type EventsOverrides } from '../src/events-composition.js';
import { noAudit } from '../src/events/audit-hook.js';
import { EVENT_TYPES, isValidPattern } from '../src/events/catalogue.js';
import { InvalidWebhookUrlError } from '../src/webhooks/webhooks.js';
import { backlexService } from '../src/index.js';

// Retries after 1 s instead of 45 s, so "receiver down, then up" is observed within the test.

interface Booted {
  booted: BootedService;
  db: Kysely<EventsDatabase>;
  events: BacklexEvents;
}

async function bootEvents(allowPrivate: boolean, overrides: EventsOverrides = {}): Promise<Booted> {
  const booted = await bootService(backlexService, {
    env: { TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS: allowPrivate ? '1' : '0', BACKLEX_WEBHOOK_RETRY_SECONDS: '1' },
  });
  const db = booted.context.database<EventsDatabase>().kysely;
  // This file's own composition (test seams), replacing the service's job definitions.
  const events = createBacklexEvents(booted.context, db, overrides);
  for (const job of events.jobDefinitions) booted.context.jobs.define(job);
  await booted.platform.startBackground();
  await booted.context.jobs.work(events.jobDefinitions);
  return { booted, db, events };
}

/** Members by org: who the fan-out notifies (the identity tables do this once merged). */
const members = new Map<string, { userId: string; role: string }[]>();
const recipients: EventsOverrides['recipients'] = async (_trx, orgId, roles) =>
  (members.get(orgId) ?? []).filter((member) => roles.includes(member.role)).map((member) => member.userId);

function serviceError(error: unknown, code: string, status: number): true {
  assert.ok(error instanceof ServiceError, `expected a ServiceError, got ${String(error)}`);
  assert.equal(error.code, code);
  assert.equal(error.statusCode, status);
  return true;
}

function issuesOf(error: unknown): { path: string; message: string; location: string }[] {
  return (error as ServiceError).details.details as { path: string; message: string; location: string }[];
}

function joined(userId: string) {
  return { memberId: randomUUID(), userId, email: `${userId}@example.com`, role: 'developer' as const };
}

describe('events out: catalogue, outbox, fan-out, webhooks', () => {
  let h: Booted;
  let receiver: WebhookReceiver;
  before(async () => {
    receiver = await startWebhookReceiver();
    h = await bootEvents(true, { recipients });
  });
  after(async () => {
    await h?.booted.close();
    await receiver?.close();
  });

  const publish = (orgId: string, data = joined(randomUUID())) =>
    h.db.transaction().execute((trx) => h.events.events.publish(trx, orgId, 'member.joined', data));

  test('patterns: exact catalogue names, <namespace>.* and * only', () => {
    for (const ok of [
      '*',
      'member.*',
      'project.*',
      'alarm.fired',
      'org.deleted',
      'webhook.test',
      ...EVENT_TYPES,
    ])
      assert.equal(isValidPattern(ok), true, ok);
    for (const bad of [
      '',
      'members.*',
      'member.joined.*',
      'alarm',
      'alarm.*.fired',
      '**',
      'member.Joined',
      '*.fired',
    ])
      assert.equal(isValidPattern(bad), false, bad);
  });

  test('an unknown pattern or a non-http(s) URL is refused with VALIDATION naming the field, and nothing is stored', async () => {
    const org = randomUUID();
    await assert.rejects(
      h.events.webhooks.create(
        org,
        { url: `${receiver.origin}/hook`, events: ['member.joined', 'members.*'] },
        noAudit,
      ),
      (error) => {
        serviceError(error, 'VALIDATION', 422);
        assert.deepEqual(
          issuesOf(error).map((issue) => [issue.path, issue.location]),
          [['events.1', 'body']],
        );
        assert.match(issuesOf(error)[0]?.message ?? '', /members\.\*/);
        return true;
      },
    );
    await assert.rejects(
      h.events.webhooks.create(org, { url: 'ftp://example.com/x', events: ['*'] }, noAudit),
      (error) => serviceError(error, 'VALIDATION', 422),
    );
    assert.deepEqual(await h.events.webhooks.list(org), []);
  });

  test('an event reaches each matching webhook signed; the signature verifies with the secret shown once', async () => {
    const org = randomUUID();
    const members = await h.events.webhooks.create(
      org,
      {
        url: `${receiver.origin}/members`,
        events: ['member.*'],
      },
      noAudit,
    );
    const projects = await h.events.webhooks.create(
      org,
      {
        url: `${receiver.origin}/projects`,
        events: ['project.*'],
      },
      noAudit,
    );
    assert.match(members.secret ?? '', /^whsec_/);
    // Never listed again.
    for (const listed of await h.events.webhooks.list(org)) assert.equal(listed.secret, undefined);

    const eventId = await publish(org);
    const request = await eventually(
      () => receiver.received.find((entry) => (entry.json as { id?: string })?.id === eventId),
      'the webhook delivery',
    );
    assert.equal(request.path, '/members');
    assert.equal(request.headers['x-trustplane-event'], 'member.joined');
    assert.ok(
      verifyWebhookSignature(
        members.secret as string,
        request.body,
        request.headers['x-trustplane-signature'] as string,
      ),
      'the signature verifies with the webhook secret',
    );
    assert.equal(
      verifyWebhookSignature(
        projects.secret as string,
        request.body,
        request.headers['x-trustplane-signature'] as string,
      ),
      false,
    );
    const envelope = request.json as { type: string; orgId: string; data: { userId: string } };
    assert.equal(envelope.type, 'member.joined');
    assert.equal(envelope.orgId, org);

    const deliveries = await eventually(async () => {
      const list = await h.events.webhooks.deliveries(org);
      return list[0]?.status === 'delivered' && list;
    }, 'the delivery row');
    assert.equal(deliveries.length, 1, 'the project.* webhook got nothing');
    assert.equal(deliveries[0]?.webhookId, members.id);
    assert.equal(deliveries[0]?.eventId, eventId);
    assert.equal(deliveries[0]?.attemptLog.length, 1);
    assert.deepEqual(await h.events.webhooks.deliveries(org, projects.id), []);
  });

  test('a rolled-back mutation sends nothing', async () => {
    const org = randomUUID();
    await h.events.webhooks.create(org, { url: `${receiver.origin}/rollback`, events: ['*'] }, noAudit);
    await assert.rejects(
      h.db.transaction().execute(async (trx) => {
        await h.events.events.publish(trx, org, 'member.joined', joined('u-rollback'));
        throw new Error('the mutation failed');
      }),
      /the mutation failed/,
    );
    const count = await h.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('org_id', '=', org)
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 0);
    assert.deepEqual(await h.events.webhooks.deliveries(org), []);
  });

  test('publishing outside a transaction is refused (the event must commit with its mutation)', async () => {
    await assert.rejects(
      h.events.events.publish(h.db, randomUUID(), 'member.joined', joined('u')),
      /in the transaction/,
    );
  });

  test('receiver down, then up: retried with backoff and delivered exactly once, an attempt row per try', async () => {
    const down = await startWebhookReceiver();
    const org = randomUUID();
    const hook = await h.events.webhooks.create(
      org,
      { url: `${down.origin}/flaky`, events: ['member.joined'] },
      noAudit,
    );
    await down.down();
    const eventId = await publish(org);
    const failing = await eventually(async () => {
      const [delivery] = await h.events.webhooks.deliveries(org, hook.id);
      return delivery && delivery.attempts >= 2 && delivery;
    }, 'two failed attempts');
    assert.equal(failing.status, 'pending');
    assert.match(failing.lastError ?? '', /ECONNREFUSED/);
    assert.notEqual(failing.nextAttemptAt, null);
    await down.up();
    const delivered = await eventually(async () => {
      const [delivery] = await h.events.webhooks.deliveries(org, hook.id);
      return delivery?.status === 'delivered' && delivery;
    }, 'the delivery once the receiver is back');
    assert.ok(delivered.attemptLog.length >= 3);
    assert.equal(delivered.attemptLog.at(-1)?.statusCode, 204);
    assert.equal(delivered.attemptLog.length, delivered.attempts);
    // Nothing more is sent once delivered.
    await h.events.fanOut.run(eventId);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(down.received.filter((entry) => (entry.json as { id?: string })?.id === eventId).length, 1);
    await down.close();
  });

  test('the fan-out runs once per event: running it again enqueues nothing', async () => {
    const org = randomUUID();
    await h.events.webhooks.create(org, { url: `${receiver.origin}/once`, events: ['*'] }, noAudit);
    const eventId = await publish(org);
    await eventually(async () => (await h.events.webhooks.deliveries(org)).length === 1, 'the delivery');
    assert.equal(await h.events.fanOut.run(eventId), undefined);
    assert.equal((await h.events.webhooks.deliveries(org)).length, 1);
  });

  test('webhook.test is not fanned out to subscriptions: only the test route sends it', async () => {
    const org = randomUUID();
    const hook = await h.events.webhooks.create(
      org,
      { url: `${receiver.origin}/test-route`, events: ['*'] },
      noAudit,
    );
    const result = await h.events.webhooks.test(org, hook.id, noAudit);
    assert.deepEqual({ ok: result.ok, status: result.status }, { ok: true, status: 204 });
    assert.equal(typeof result.durationMs, 'number');
    const request = receiver.received.filter((entry) => entry.path === '/test-route');
    assert.equal(request.length, 1);
    assert.equal(request[0]?.headers['x-trustplane-event'], 'webhook.test');
    assert.ok(
      verifyWebhookSignature(
        hook.secret as string,
        request[0]?.body ?? '',
        request[0]?.headers['x-trustplane-signature'] as string,
      ),
    );
    // Not a queued delivery.
    assert.deepEqual(await h.events.webhooks.deliveries(org), []);
  });

  test('test: a failing receiver is ok:false with its status; an unreachable one ok:false with status null', async () => {
    const failing = await startWebhookReceiver(() => ({ status: 500 }));
    const org = randomUUID();
    const hook = await h.events.webhooks.create(org, { url: `${failing.origin}/x`, events: ['*'] }, noAudit);
    const answered = await h.events.webhooks.test(org, hook.id, noAudit);
    assert.deepEqual(
      { ok: answered.ok, status: answered.status, error: answered.error },
      { ok: false, status: 500, error: 'HTTP 500' },
    );
    await failing.down();
    const unreachable = await h.events.webhooks.test(org, hook.id, noAudit);
    assert.equal(unreachable.ok, false);
    assert.equal(unreachable.status, null);
    assert.match(unreachable.error ?? '', /ECONNREFUSED/);
    await failing.close();
  });

  test('test: 10 per minute per webhook, then RATE_LIMITED with Retry-After', async () => {
    const org = randomUUID();
    const hook = await h.events.webhooks.create(
      org,
      { url: `${receiver.origin}/limited`, events: ['*'] },
      noAudit,
    );
    for (let i = 0; i < 10; i++) assert.equal((await h.events.webhooks.test(org, hook.id, noAudit)).ok, true);
    await assert.rejects(h.events.webhooks.test(org, hook.id, noAudit), (error) => {
      serviceError(error, 'RATE_LIMITED', 429);
      assert.ok(Number((error as ServiceError).headers?.['Retry-After']) >= 1);
      return true;
    });
  });

  test("another org's webhook ids are not found (delete, test, deliveries filter)", async () => {
    const orgA = randomUUID();
    const orgB = randomUUID();
    const hook = await h.events.webhooks.create(
      orgA,
      { url: `${receiver.origin}/a`, events: ['*'] },
      noAudit,
    );
    await assert.rejects(h.events.webhooks.remove(orgB, hook.id, noAudit), (error) =>
      serviceError(error, 'NOT_FOUND', 404),
    );
    await assert.rejects(h.events.webhooks.test(orgB, hook.id, noAudit), (error) =>
      serviceError(error, 'NOT_FOUND', 404),
    );
    await assert.rejects(h.events.webhooks.deliveries(orgB, hook.id), (error) =>
      serviceError(error, 'NOT_FOUND', 404),
    );
    await assert.rejects(h.events.webhooks.remove(orgA, 'not-a-uuid', noAudit), (error) =>
      serviceError(error, 'NOT_FOUND', 404),
    );
    assert.equal((await h.events.webhooks.list(orgA)).length, 1);
    await h.events.webhooks.remove(orgA, hook.id, noAudit);
    assert.deepEqual(await h.events.webhooks.list(orgA), []);
  });

  test('the managed webhook (Org.webhookUrl): all events, secret once, 409 on DELETE, removed by null', async () => {
    const org = randomUUID();
    const set = await h.db
      .transaction()
      .execute((trx) => h.events.webhooks.setManagedWebhook(trx, org, `${receiver.origin}/managed`));
    assert.ok(set);
    assert.match(set.secret, /^whsec_/);
    const [listed] = await h.events.webhooks.list(org);
    assert.deepEqual(
      { managed: listed?.managed, events: listed?.events, secret: listed?.secret },
      {
        managed: true,
        events: ['*'],
        secret: undefined,
      },
    );
    await assert.rejects(h.events.webhooks.remove(org, set.webhook.id, noAudit), (error) =>
      serviceError(error, 'WEBHOOK_MANAGED', 409),
    );
    // The same URL again changes nothing (no new secret).
    assert.equal(
      await h.db
        .transaction()
        .execute((trx) => h.events.webhooks.setManagedWebhook(trx, org, `${receiver.origin}/managed`)),
      undefined,
    );
    const eventId = await publish(org);
    const request = await eventually(
      () =>
        receiver.received.find(
          (entry) => entry.path === '/managed' && (entry.json as { id?: string }).id === eventId,
        ),
      'the managed delivery',
    );
    assert.ok(
      verifyWebhookSignature(set.secret, request.body, request.headers['x-trustplane-signature'] as string),
    );
    await h.db.transaction().execute((trx) => h.events.webhooks.setManagedWebhook(trx, org, null));
    assert.deepEqual(await h.events.webhooks.list(org), []);
  });

  test('notifications: a member joining notifies owners and admins (not the joiner), per-member read state', async () => {
    const org = randomUUID();
    members.set(org, [
      { userId: 'owner-1', role: 'owner' },
      { userId: 'admin-1', role: 'admin' },
      { userId: 'dev-1', role: 'developer' },
      { userId: 'viewer-1', role: 'viewer' },
    ]);
    await publish(org, { ...joined('admin-1'), role: 'developer' });
    await publish(org, joined('new-dev'));
    const forOwner = await eventually(async () => {
      const list = await h.events.notifications.list(org, 'owner-1');
      return list.length === 2 && list;
    }, 'the owner notifications');
    assert.equal(forOwner[0]?.type, 'member.joined');
    assert.match(forOwner[0]?.title ?? '', /new-dev@example.com joined/);
    assert.equal(forOwner[0]?.read, false);
    assert.equal(
      (await h.events.notifications.list(org, 'admin-1')).length,
      1,
      'not about joining themselves',
    );
    assert.deepEqual(await h.events.notifications.list(org, 'dev-1'), []);
    assert.deepEqual(await h.events.notifications.list(org, 'viewer-1'), []);
    assert.equal((await h.events.notifications.list(org, 'owner-1', 1)).length, 1);

    const id = forOwner[0]?.id as string;
    await h.events.notifications.markRead(org, 'owner-1', id);
    const [first] = await h.events.notifications.list(org, 'owner-1');
    await h.events.notifications.markRead(org, 'owner-1', id);
    const [again] = await h.events.notifications.list(org, 'owner-1');
    assert.equal(first?.read, true);
    assert.equal(again?.readAt, first?.readAt, 'reading twice keeps the first read time');
    // Another member's notification, another org's, or no uuid: not found.
    await assert.rejects(h.events.notifications.markRead(org, 'admin-1', id), (error) =>
      serviceError(error, 'NOT_FOUND', 404),
    );
    await assert.rejects(h.events.notifications.markRead(randomUUID(), 'owner-1', id), (error) =>
      serviceError(error, 'NOT_FOUND', 404),
    );
    await assert.rejects(h.events.notifications.markRead(org, 'owner-1', 'x'), (error) =>
      serviceError(error, 'NOT_FOUND', 404),
    );
    assert.equal(await h.events.notifications.markAllRead(org, 'owner-1'), 1);
    assert.equal(await h.events.notifications.markAllRead(org, 'owner-1'), 0);
    assert.ok((await h.events.notifications.list(org, 'owner-1')).every((entry) => entry.read));
    assert.equal(
      (await h.events.notifications.list(org, 'admin-1'))[0]?.read,
      false,
      'read state is per member',
    );
  });

  test('notifications: alarm.fired notifies admins (and owners), not developers', async () => {
    const org = randomUUID();
    members.set(org, [
      { userId: 'o', role: 'owner' },
      { userId: 'a', role: 'admin' },
      { userId: 'd', role: 'developer' },
    ]);
    await h.db.transaction().execute((trx) =>
      h.events.events.publish(trx, org, 'alarm.fired', {
        alarmId: randomUUID(),
        projectId: randomUUID(),
        projectSlug: 'shop',
        metric: 'requests',
        thresholdPercent: 80,
        usedPercent: 81.5,
        period: '2026-12',
      }),
    );
    const [forAdmin] = await eventually(async () => {
      const list = await h.events.notifications.list(org, 'a');
      return list.length === 1 && list;
    }, 'the admin notification');
    assert.match(forAdmin?.body ?? '', /shop has used 81.5% of its requests allowance/);
    assert.equal((await h.events.notifications.list(org, 'o')).length, 1);
    assert.deepEqual(await h.events.notifications.list(org, 'd'), []);
  });

  test('a payload that does not match its catalogue entry is a bug: refused before anything is written', async () => {
    await assert.rejects(
      h.db.transaction().execute((trx) =>
        // @ts-expect-error: the catalogue types `data` per event.
        h.events.events.publish(trx, randomUUID(), 'member.joined', { userId: 'x' }),
      ),
    );
  });
});

describe('private targets (TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS off)', () => {
  let h: Booted;
  const privateName = 'internal.hooks.example';
  before(async () => {
    h = await bootEvents(false, {
      lookup: async (hostname) =>
        hostname === privateName
          ? [{ address: '10.0.0.7', family: 4 }]
          : [{ address: '93.184.215.14', family: 4 }],
    });
  });
  after(async () => h?.booted.close());

  test('a literal private, loopback or metadata address is refused at creation', async () => {
    const org = randomUUID();
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://10.1.2.3/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/hook',
      'http://[::ffff:192.168.0.1]/hook',
      'http://2130706433/hook',
      'http://localhost:3000/hook',
      'http://api.localhost/hook',
    ]) {
      await assert.rejects(
        h.events.webhooks.create(org, { url, events: ['*'] }, noAudit),
        (error) => {
          serviceError(error, 'VALIDATION', 422);
          assert.equal(issuesOf(error)[0]?.path, 'url');
          return true;
        },
        url,
      );
    }
    assert.deepEqual(await h.events.webhooks.list(org), []);
    await assert.rejects(
      h.db
        .transaction()
        .execute((trx) => h.events.webhooks.setManagedWebhook(trx, org, 'http://192.168.1.1/x')),
      InvalidWebhookUrlError,
    );
  });

  test('a name that resolves to a private address is accepted, then refused by the SSRF guard at delivery', async () => {
    const org = randomUUID();
    const hook = await h.events.webhooks.create(
      org,
      { url: `https://${privateName}/hook`, events: ['*'] },
      noAudit,
    );
    await h.db.transaction().execute((trx) =>
      h.events.events.publish(trx, org, 'org.deleted', {
        org: { id: org, slug: 'acme', name: 'Acme' },
        deletedAt: new Date().toISOString(),
      }),
    );
    const [delivery] = await eventually(async () => {
      const list = await h.events.webhooks.deliveries(org, hook.id);
      return list[0]?.status === 'failed' && list;
    }, 'the refused delivery');
    assert.equal(delivery?.attempts, 1, 'refused at once, not retried');
    assert.match(delivery?.lastError ?? '', /10\.0\.0\.7, which is not a public address/);
    assert.equal(delivery?.attemptLog[0]?.statusCode, null);
    const test = await h.events.webhooks.test(org, hook.id, noAudit);
    assert.equal(test.ok, false);
    assert.equal(test.status, null);
    assert.match(test.error ?? '', /destination refused/);
  });
});
