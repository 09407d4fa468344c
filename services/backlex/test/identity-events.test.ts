import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { verifyWebhookSignature } from '@trustplane/kernel';
import { eventually, startWebhookReceiver, type WebhookReceiver } from '@trustplane/kernel/testkit';
import { BacklexHarness, type TestOrg } from './support/backlex.js';

/**
 * Identity changes reach a webhook receiver through the events outbox (each published in the
 * transaction of its change), and each is in the org's audit log.
 */

let h: BacklexHarness;
let receiver: WebhookReceiver;
let org: TestOrg;
let secret: string;
before(async () => {
  receiver = await startWebhookReceiver();
  h = await BacklexHarness.boot({ workers: true, env: { BACKLEX_WEBHOOK_RETRY_SECONDS: '1' } });
  org = await h.org();
  const created = await h.inject({
    method: 'POST',
    url: `/api/org/${org.slug}/webhooks`,
    as: org.owner,
    payload: { url: receiver.url, events: ['member.*', 'api_key.*', 'sso.*', 'scim.*'] },
  });
  assert.equal(created.statusCode, 201, created.body);
  secret = created.json().webhook.secret;
});
after(async () => {
  await h?.close();
  await receiver?.close();
});

interface Delivered {
  type: string;
  orgId: string;
  data: Record<string, unknown>;
}

/** The signed deliveries of `type` the receiver got (each signature checked). */
function delivered(type: string): Delivered[] {
  return receiver.received
    .filter((request) => {
      assert.ok(
        verifyWebhookSignature(secret, request.body, request.headers['x-trustplane-signature'] as string),
        'every delivery is signed with the webhook secret',
      );
      return (JSON.parse(request.body) as Delivered).type === type;
    })
    .map((request) => JSON.parse(request.body) as Delivered);
}

const deliveredOnce = (type: string) =>
  eventually(() => (delivered(type).length > 0 ? delivered(type) : undefined), `a ${type} delivery`);

async function auditActions(): Promise<string[]> {
  const response = await h.inject({
    method: 'GET',
    url: `/api/org/${org.slug}/audit?limit=200`,
    as: org.owner,
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().events.map((event: { action: string }) => event.action);
}

test('invitations and member changes: invited, joined (the invitation accepted), role changed, cancelled, removed', async () => {
  const member = await h.member(org, 'viewer');
  const [invited] = await deliveredOnce('member.invited');
  assert.equal(invited?.data.email, member.email);
  assert.equal(invited?.data.role, 'viewer');
  const [joined] = await deliveredOnce('member.joined');
  assert.equal(joined?.data.memberId, member.memberId);

  const promoted = await h.inject({
    method: 'PATCH',
    url: `/api/org/${org.slug}/members/${member.memberId}`,
    as: org.owner,
    payload: { role: 'developer' },
  });
  assert.equal(promoted.statusCode, 200, promoted.body);
  const [changed] = await deliveredOnce('member.role_changed');
  assert.deepEqual(
    { memberId: changed?.data.memberId, from: changed?.data.from, to: changed?.data.to },
    { memberId: member.memberId, from: 'viewer', to: 'developer' },
  );

  const pending = await h.invite(org, 'pending@example.com', 'viewer');
  assert.equal(pending.statusCode, 201, pending.body);
  const cancel = await h.inject({
    method: 'DELETE',
    url: `/api/org/${org.slug}/members/${pending.json().invite.id}`,
    as: org.owner,
  });
  assert.equal(cancel.statusCode, 204, cancel.body);
  const [cancelled] = await deliveredOnce('member.invitation_cancelled');
  assert.equal(cancelled?.data.invitationId, pending.json().invite.id);

  const removed = await h.inject({
    method: 'DELETE',
    url: `/api/org/${org.slug}/members/${member.memberId}`,
    as: org.owner,
  });
  assert.equal(removed.statusCode, 204, removed.body);
  const [gone] = await deliveredOnce('member.removed');
  assert.equal(gone?.data.memberId, member.memberId);

  const actions = await auditActions();
  for (const action of [
    'invitation.created',
    'member.joined',
    'member.role_changed',
    'invitation.canceled',
    'member.removed',
  ]) {
    assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
  }
});

test('API keys, SSO and the SCIM token: created/revoked, configured/disabled, minted/revoked, each audited', async () => {
  const created = await h.inject({
    method: 'POST',
    url: `/api/org/${org.slug}/api-keys`,
    as: org.owner,
    payload: { name: 'events', scope: 'read-only' },
  });
  assert.equal(created.statusCode, 201, created.body);
  const key = created.json().key;
  const revoked = await h.inject({
    method: 'DELETE',
    url: `/api/org/${org.slug}/api-keys/${key.id}`,
    as: org.owner,
  });
  assert.equal(revoked.statusCode, 204, revoked.body);
  const [keyCreated] = await deliveredOnce('api_key.created');
  assert.deepEqual(
    { keyId: keyCreated?.data.keyId, prefix: keyCreated?.data.prefix, scope: keyCreated?.data.scope },
    { keyId: key.id, prefix: key.prefix, scope: 'read-only' },
  );
  assert.equal(JSON.stringify(keyCreated).includes(key.secret), false, 'the secret is never sent');
  const [keyRevoked] = await deliveredOnce('api_key.revoked');
  assert.equal(keyRevoked?.data.keyId, key.id);

  const put = await h.inject({
    method: 'PUT',
    url: `/api/org/${org.slug}/sso`,
    as: org.owner,
    payload: {
      type: 'oidc',
      emailDomain: null,
      config: { issuer: 'https://idp.example.com', clientId: 'events', clientSecret: 'events-secret' },
    },
  });
  assert.equal(put.statusCode, 200, put.body);
  const disabled = await h.inject({ method: 'DELETE', url: `/api/org/${org.slug}/sso`, as: org.owner });
  assert.equal(disabled.statusCode, 200, disabled.body);
  const [configured] = await deliveredOnce('sso.configured');
  assert.deepEqual(
    { type: configured?.data.type, enabled: configured?.data.enabled },
    { type: 'oidc', enabled: true },
  );
  assert.equal(JSON.stringify(configured).includes('events-secret'), false);
  await deliveredOnce('sso.disabled');

  const minted = await h.inject({ method: 'POST', url: `/api/org/${org.slug}/scim/token`, as: org.owner });
  assert.equal(minted.statusCode, 201, minted.body);
  const revokedToken = await h.inject({
    method: 'DELETE',
    url: `/api/org/${org.slug}/scim/token`,
    as: org.owner,
  });
  assert.equal(revokedToken.statusCode, 200, revokedToken.body);
  await deliveredOnce('scim.token_created');
  await deliveredOnce('scim.token_revoked');

  const actions = await auditActions();
  for (const action of [
    'api_key.created',
    'api_key.revoked',
    'sso.configured',
    'sso.disabled',
    'scim.token_minted',
    'scim.token_revoked',
  ]) {
    assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
  }
});
