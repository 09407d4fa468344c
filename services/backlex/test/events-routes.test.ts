import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyWebhookSignature } from '@trustplane/kernel';
import {
  eventually,
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from '@trustplane/kernel/testkit';
import { BacklexHarness, type TestOrg } from './support/backlex.js';

// Integration requests go to the local receiver (test-only setting), retries after 1 s.
const vendor = await startWebhookReceiver(vendorAnswer);
const settings = { BACKLEX_INTEGRATIONS_ORIGIN: vendor.origin, BACKLEX_WEBHOOK_RETRY_SECONDS: '1' };

/** Answers as each vendor does, and 400 for a body that is not in its wire format. */
function vendorAnswer(request: ReceivedWebhook) {
  const body = request.json as Record<string, unknown>;
  if (request.path.startsWith('/services/'))
    return typeof body?.text === 'string' ? { status: 200, body: 'ok' } : { status: 400, body: 'no_text' };
  if (request.path.startsWith('/api/webhooks/')) {
    const embeds = body?.embeds as { title?: string }[] | undefined;
    return embeds?.[0]?.title || body?.content ? { status: 204 } : { status: 400 };
  }
  if (request.path === '/api/v1/events') {
    const ok =
      request.headers['dd-api-key'] === 'a'.repeat(32) &&
      typeof body?.title === 'string' &&
      typeof body?.text === 'string';
    return ok ? { status: 202, body: '{"status":"ok"}' } : { status: 403 };
  }
  if (request.path === '/repos/acme/app/dispatches') {
    const ok =
      request.headers.authorization === `Bearer ghp_${'x'.repeat(36)}` &&
      typeof body?.event_type === 'string' &&
      typeof body?.client_payload === 'object';
    return ok ? { status: 204 } : { status: 422 };
  }
  return { status: 404 };
}

describe('events out over HTTP', () => {
  let h: BacklexHarness;
  let hooks: WebhookReceiver;
  let org: TestOrg;
  before(async () => {
    hooks = await startWebhookReceiver();
    h = await BacklexHarness.boot({ workers: true, env: settings });
    org = await h.org();
  });
  after(async () => {
    await h?.close();
    await hooks?.close();
    await vendor.close();
  });

  test('journey: a webhook is created, a member joins, the signed event arrives, owners are notified', async () => {
    const created = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/webhooks`,
      as: org.owner,
      payload: { url: `${hooks.origin}/journey`, events: ['member.*'] },
    });
    assert.equal(created.statusCode, 201, created.body);
    const webhook = created.json().webhook;
    assert.match(webhook.secret, /^whsec_/);
    const listed = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/webhooks`, as: org.owner });
    assert.equal(listed.json().webhooks[0].secret, undefined);

    const admin = await h.member(org, 'admin');
    const request = await eventually(
      () =>
        hooks.received.find(
          (entry) => entry.path === '/journey' && (entry.json as { type?: string }).type === 'member.joined',
        ),
      'the member.joined delivery',
    );
    assert.ok(
      verifyWebhookSignature(
        webhook.secret,
        request.body,
        request.headers['x-trustplane-signature'] as string,
      ),
    );
    assert.equal((request.json as { data: { email: string } }).data.email, admin.email);

    const deliveries = await eventually(async () => {
      const response = await h.inject({
        method: 'GET',
        url: `/api/org/${org.slug}/webhook-deliveries?webhookId=${webhook.id}`,
        as: admin,
      });
      const list = response.json().deliveries;
      return list.some((entry: { status: string }) => entry.status === 'delivered') && list;
    }, 'the delivered row');
    assert.equal(deliveries[0].webhookId, webhook.id);

    const notifications = await eventually(async () => {
      const response = await h.inject({
        method: 'GET',
        url: `/api/org/${org.slug}/notifications`,
        as: org.owner,
      });
      assert.equal(response.statusCode, 200, response.body);
      return response.json().notifications.length > 0 && response.json().notifications;
    }, 'the owner notification');
    assert.equal(notifications[0].type, 'member.joined');
    const id = notifications[0].id;
    for (let i = 0; i < 2; i++) {
      const read = await h.inject({
        method: 'POST',
        url: `/api/org/${org.slug}/notifications/${id}/read`,
        as: org.owner,
      });
      assert.deepEqual([read.statusCode, read.json()], [200, { ok: true }]);
    }
    const foreignRead = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/notifications/${id}/read`,
      as: admin,
    });
    assert.equal(foreignRead.statusCode, 404);
    const readAll = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/notifications/read-all`,
      as: admin,
    });
    assert.deepEqual([readAll.statusCode, readAll.json()], [200, { ok: true }]);
    const limited = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/notifications?limit=0`,
      as: org.owner,
    });
    assert.equal(limited.statusCode, 422);

    const tested = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/webhooks/${webhook.id}/test`,
      as: org.owner,
    });
    assert.equal(tested.statusCode, 200, tested.body);
    assert.equal(tested.json().ok, true);

    const audit = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/audit?action=webhook.*`,
      as: org.owner,
    });
    const actions = audit.json().events.map((event: { action: string }) => event.action);
    assert.ok(actions.includes('webhook.created') && actions.includes('webhook.tested'), actions.join(','));

    const removed = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/webhooks/${webhook.id}`,
      as: org.owner,
    });
    assert.equal(removed.statusCode, 204);
  });

  test('roles: every member reads; only admins manage; other orgs see 404; no cookie 401', async () => {
    const developer = await h.member(org, 'developer');
    const viewer = await h.member(org, 'viewer');
    for (const url of ['webhooks', 'integrations', 'notifications', 'webhook-deliveries']) {
      const response = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/${url}`, as: viewer });
      assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
    }
    const refused = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/webhooks`,
      as: developer,
      payload: { url: `${hooks.origin}/x`, events: ['*'] },
    });
    assert.equal(refused.statusCode, 403);
    const refusedIntegration = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/integrations`,
      as: viewer,
      payload: { kind: 'slack', config: { webhookUrl: 'https://hooks.slack.com/services/T/B/X' } },
    });
    assert.equal(refusedIntegration.statusCode, 403);
    const other = await h.org();
    const foreign = await h.inject({ method: 'GET', url: `/api/org/${other.slug}/webhooks`, as: org.owner });
    assert.equal(foreign.statusCode, 404);
    const anonymous = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/webhooks` });
    assert.equal(anonymous.statusCode, 401);

    // Another org's webhook id through this org's slug: 404, and it is still there.
    const theirs = await h.inject({
      method: 'POST',
      url: `/api/org/${other.slug}/webhooks`,
      as: other.owner,
      payload: { url: `${hooks.origin}/theirs`, events: ['*'] },
    });
    const theirId = theirs.json().webhook.id;
    for (const [method, url] of [
      ['DELETE', `/api/org/${org.slug}/webhooks/${theirId}`],
      ['POST', `/api/org/${org.slug}/webhooks/${theirId}/test`],
      ['GET', `/api/org/${org.slug}/webhook-deliveries?webhookId=${theirId}`],
    ] as const) {
      const response = await h.inject({ method, url, as: org.owner });
      assert.equal(response.statusCode, 404, `${method} ${url}`);
    }
    const still = await h.inject({ method: 'GET', url: `/api/org/${other.slug}/webhooks`, as: other.owner });
    assert.equal(still.json().webhooks.length, 1);
  });

  test('validation: unknown pattern and bad integration config are 422 naming the field; bad JSON 400', async () => {
    const pattern = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/webhooks`,
      as: org.owner,
      payload: { url: `${hooks.origin}/x`, events: ['projects.*'] },
    });
    assert.equal(pattern.statusCode, 422);
    assert.equal(pattern.json().error.code, 'VALIDATION');
    assert.equal(pattern.json().error.details[0].path, 'events.0');
    const config = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/integrations`,
      as: org.owner,
      payload: { kind: 'github', config: { token: 'short', repository: 'not a repo' } },
    });
    assert.equal(config.statusCode, 422);
    assert.deepEqual(
      config
        .json()
        .error.details.map((issue: { path: string }) => issue.path)
        .sort(),
      ['config.repository', 'config.token'],
    );
    const malformed = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/webhooks`,
      as: org.owner,
      headers: { 'content-type': 'application/json' },
      payload: '{"url":',
    });
    assert.equal(malformed.statusCode, 400);
  });

  test('the managed webhook (PATCH /org webhookUrl) is listed managed and DELETE on it is 409', async () => {
    const patched = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: org.owner,
      payload: { webhookUrl: `${hooks.origin}/managed` },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.match(patched.json().webhookSecret, /^whsec_/);
    const list = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/webhooks`, as: org.owner });
    const managed = list.json().webhooks.find((entry: { managed: boolean }) => entry.managed);
    assert.deepEqual(managed.events, ['*']);
    const refused = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/webhooks/${managed.id}`,
      as: org.owner,
    });
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error.code, 'WEBHOOK_MANAGED');
    await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: org.owner,
      payload: { webhookUrl: null },
    });
    const after = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/webhooks`, as: org.owner });
    assert.equal(
      after.json().webhooks.some((entry: { managed: boolean }) => entry.managed),
      false,
    );
  });

  test('integrations: each kind delivers in its wire format; secrets masked on read', async () => {
    const own = await h.org();
    const configs = [
      { kind: 'slack', config: { webhookUrl: 'https://hooks.slack.com/services/T000/B000/XXXXsecret1' } },
      { kind: 'discord', config: { webhookUrl: 'https://discord.com/api/webhooks/123/tokensecret2' } },
      { kind: 'datadog', config: { apiKey: 'a'.repeat(32), site: 'datadoghq.eu' } },
      { kind: 'github', config: { token: `ghp_${'x'.repeat(36)}`, repository: 'acme/app' } },
    ];
    for (const payload of configs) {
      const created = await h.inject({
        method: 'POST',
        url: `/api/org/${own.slug}/integrations`,
        as: own.owner,
        payload: { ...payload, events: ['member.joined'] },
      });
      assert.equal(created.statusCode, 201, created.body);
    }
    const listed = (
      await h.inject({ method: 'GET', url: `/api/org/${own.slug}/integrations`, as: own.owner })
    ).json().integrations;
    assert.equal(listed.length, 4);
    const serialized = JSON.stringify(listed);
    for (const secret of ['XXXXsecret1', 'tokensecret2', 'a'.repeat(32), 'x'.repeat(36)])
      assert.ok(!serialized.includes(secret), secret);
    assert.equal(
      listed.find((entry: { kind: string }) => entry.kind === 'datadog').config.site,
      'datadoghq.eu',
    );

    await h.member(own, 'developer');
    await eventually(async () => {
      const list = (
        await h.inject({ method: 'GET', url: `/api/org/${own.slug}/integrations`, as: own.owner })
      ).json().integrations;
      return list.every(
        (entry: { lastDeliveryAt: string | null; lastError: string | null }) =>
          entry.lastDeliveryAt && !entry.lastError,
      );
    }, 'all four integrations delivered');
    const paths = vendor.received.map((entry) => entry.path);
    assert.ok(paths.includes('/services/T000/B000/XXXXsecret1'));
    assert.ok(paths.includes('/api/webhooks/123/tokensecret2'));
    assert.ok(paths.includes('/api/v1/events'));
    assert.ok(paths.includes('/repos/acme/app/dispatches'));
    const github = vendor.received.find((entry) => entry.path === '/repos/acme/app/dispatches');
    assert.equal((github?.json as { event_type?: string } | undefined)?.event_type, 'member.joined');

    const id = listed[0].id;
    const removed = await h.inject({
      method: 'DELETE',
      url: `/api/org/${own.slug}/integrations/${id}`,
      as: own.owner,
    });
    assert.equal(removed.statusCode, 204);
    const again = await h.inject({
      method: 'DELETE',
      url: `/api/org/${own.slug}/integrations/${id}`,
      as: own.owner,
    });
    assert.equal(again.statusCode, 404);
  });
});
