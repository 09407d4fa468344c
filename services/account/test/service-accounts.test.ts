import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { assertError, bearer, Harness, testEnv } from './helpers.js';

testEnv();
let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

async function ownerWithServiceAccount(extra: Record<string, unknown> = {}) {
  const owner = await h.verifiedUser();
  const created = await h.call({
    method: 'POST',
    url: '/api/v1/service-accounts',
    headers: bearer(owner.accessToken),
    payload: {
      organization_id: owner.orgId,
      display_name: 'Render bot',
      description: 'Generates thumbnails',
      capabilities: ['museum:read', 'artifact:write', 'service_accounts:read'],
      allowed_tools: ['thumbnailer'],
      rate_limit_per_minute: 120,
      ...extra,
    },
  });
  assert.equal(created.statusCode, 201, created.body);
  return { owner, sa: created.json().data };
}

async function mintKey(
  token: string,
  accountId: string,
  payload: Record<string, unknown> = { permissions: ['museum:read'] },
) {
  const response = await h.call({
    method: 'POST',
    url: `/api/v1/service-accounts/${accountId}/api-keys`,
    headers: bearer(token),
    payload,
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().data;
}

describe('service accounts', () => {
  test('CRUD, clamped rate limit, list filter, org safety check', async () => {
    const { owner, sa } = await ownerWithServiceAccount({ rate_limit_per_minute: 999_999 });
    assert.equal(sa.status, 'active');
    assert.equal(sa.rate_limit_per_minute, 10_000);
    assert.equal(sa.last_used_at, null);
    const list = await h.call({
      method: 'GET',
      url: `/api/v1/service-accounts?organization_id=${owner.orgId}&status=active`,
      headers: bearer(owner.accessToken),
    });
    assert.equal(list.json().data.total, 1);
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/service-accounts', headers: bearer(owner.accessToken) }),
      422,
      4002,
      /^organization_id: /,
    );
    const updated = await h.call({
      method: 'PUT',
      url: `/api/v1/service-accounts/${sa.account_id}`,
      headers: bearer(owner.accessToken),
      payload: { organization_id: owner.orgId, display_name: 'Render bot v2', rate_limit_per_minute: 240 },
    });
    assert.equal(updated.statusCode, 200, updated.body);
    assert.equal(updated.json().data.display_name, 'Render bot v2');
    assert.equal(updated.json().data.rate_limit_per_minute, 240);
    const other = await h.verifiedUser();
    assertError(
      await h.call({
        method: 'PUT',
        url: `/api/v1/service-accounts/${sa.account_id}`,
        headers: bearer(owner.accessToken),
        payload: { organization_id: other.orgId },
      }),
      422,
      4002,
      /^organization_id: /,
    );
    // Another tenant sees nothing.
    assertError(
      await h.call({
        method: 'GET',
        url: `/api/v1/service-accounts/${sa.account_id}`,
        headers: bearer(other.accessToken),
      }),
      404,
      4004,
    );
    assertError(
      await h.call({
        method: 'GET',
        url: `/api/v1/service-accounts?organization_id=${owner.orgId}`,
        headers: bearer(other.accessToken),
      }),
      404,
      4004,
    );
    // Unverified users hold no service_accounts:create.
    const unverified = await h.register();
    assertError(
      await h.call({
        method: 'POST',
        url: '/api/v1/service-accounts',
        headers: bearer(unverified.accessToken),
        payload: {
          organization_id: unverified.orgId,
          display_name: 'x',
          capabilities: [],
          allowed_tools: [],
        },
      }),
      401,
      4003,
      /service_accounts:create/,
    );
  });

  test('API keys: shown once, sha-256 at rest, permissions ⊆ capabilities, X-API-Key, last_used_at', async () => {
    const { owner, sa } = await ownerWithServiceAccount();
    assertError(
      await h.call({
        method: 'POST',
        url: `/api/v1/service-accounts/${sa.account_id}/api-keys`,
        headers: bearer(owner.accessToken),
        payload: { permissions: ['admin:everything'] },
      }),
      422,
      4002,
      /^permissions: /,
    );
    const key = await mintKey(owner.accessToken, sa.account_id, {
      name: 'prod render bot',
      permissions: ['museum:read', 'service_accounts:read'],
      expires_in_days: 180,
    });
    assert.match(key.key, /^ak_live_[0-9A-Za-z]{40,}$/);
    assert.equal(key.key_prefix, key.key.slice(0, 12));
    assert.ok(key.expires_at > Date.now() / 1000 + 179 * 86_400);
    const { rows } = await h.booted.context
      .database()
      .pool.query('SELECT key_hash FROM account.api_keys WHERE id = $1', [key.api_key_id]);
    assert.match(rows[0].key_hash, /^[0-9a-f]{64}$/);
    assert.notEqual(rows[0].key_hash, key.key);
    const list = await h.call({
      method: 'GET',
      url: `/api/v1/service-accounts/${sa.account_id}/api-keys`,
      headers: bearer(owner.accessToken),
    });
    assert.equal(list.json().data.items[0].key, undefined);
    assert.equal(list.json().data.items[0].is_revoked, false);
    const me = await h.call({ method: 'GET', url: '/api/v1/me', headers: { 'x-api-key': key.key } });
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(me.json().data.account_type, 'service');
    assert.equal(me.json().data.display_name, 'Render bot');
    const got = await h.call({
      method: 'GET',
      url: `/api/v1/service-accounts/${sa.account_id}`,
      headers: { 'x-api-key': key.key },
    });
    assert.equal(got.statusCode, 200);
    assert.ok(got.json().data.last_used_at > 0);
    const whoami = await h.call({
      method: 'GET',
      url: '/api/v1/auth/whoami',
      headers: { 'x-api-key': key.key },
    });
    assert.equal(whoami.json().data.principal_type, 'service');
    // Service principals have no session and no password.
    assertError(
      await h.call({ method: 'POST', url: '/api/v1/auth/logout', headers: { 'x-api-key': key.key } }),
      401,
      4003,
    );
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/me/sessions', headers: { 'x-api-key': key.key } }),
      401,
      4003,
    );
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/me', headers: { 'x-api-key': `${key.key}x` } }),
      401,
      4003,
    );
  });

  test('token exchange: 1-hour service JWT, nil sid; pause/resume; revoke vs delete; archive', async () => {
    const { owner, sa } = await ownerWithServiceAccount();
    const key = await mintKey(owner.accessToken, sa.account_id);
    assertError(
      await h.call({ method: 'POST', url: '/api/v1/auth/token-exchange' }),
      400,
      4000,
      /x-api-key/i,
    );
    const exchange = await h.call({
      method: 'POST',
      url: '/api/v1/auth/token-exchange',
      headers: { 'x-api-key': key.key },
    });
    assert.equal(exchange.statusCode, 200, exchange.body);
    const data = exchange.json().data;
    assert.equal(data.expires_in, 3600);
    assert.equal(data.principal_type, 'service');
    assert.deepEqual(data.permissions, ['museum:read']);
    const claims = decodeJwt(data.access_token);
    assert.equal(claims.sid, '00000000-0000-0000-0000-000000000000');
    assert.equal(claims.principal_type, 'service');
    assert.equal(claims.org_id, owner.orgId);
    assert.equal((claims.exp as number) - (claims.iat as number), 3600);
    const viaJwt = await h.call({
      method: 'GET',
      url: '/api/v1/auth/whoami',
      headers: bearer(data.access_token),
    });
    assert.equal(viaJwt.json().data.principal_type, 'service');

    const pause = await h.call({
      method: 'POST',
      url: `/api/v1/service-accounts/${sa.account_id}/pause`,
      headers: bearer(owner.accessToken),
    });
    assert.equal(pause.statusCode, 200);
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/me', headers: { 'x-api-key': key.key } }),
      401,
      4003,
    );
    await h.call({
      method: 'POST',
      url: `/api/v1/service-accounts/${sa.account_id}/resume`,
      headers: bearer(owner.accessToken),
    });
    assert.equal(
      (await h.call({ method: 'GET', url: '/api/v1/me', headers: { 'x-api-key': key.key } })).statusCode,
      200,
    );
    assertError(
      await h.call({
        method: 'POST',
        url: `/api/v1/service-accounts/${sa.account_id}/resume`,
        headers: bearer(owner.accessToken),
      }),
      422,
      4002,
    );

    const revoke = await h.call({
      method: 'POST',
      url: `/api/v1/api-keys/${key.api_key_id}/revoke`,
      headers: bearer(owner.accessToken),
      payload: { reason: 'leaked in public repo' },
    });
    assert.equal(revoke.statusCode, 200);
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/me', headers: { 'x-api-key': key.key } }),
      401,
      4003,
    );
    const listed = await h.call({
      method: 'GET',
      url: `/api/v1/service-accounts/${sa.account_id}/api-keys`,
      headers: bearer(owner.accessToken),
    });
    assert.equal(listed.json().data.items[0].is_revoked, true);
    const deleted = await h.call({
      method: 'DELETE',
      url: `/api/v1/api-keys/${key.api_key_id}`,
      headers: bearer(owner.accessToken),
    });
    assert.equal(deleted.statusCode, 200);
    assertError(
      await h.call({
        method: 'DELETE',
        url: `/api/v1/api-keys/${key.api_key_id}`,
        headers: bearer(owner.accessToken),
      }),
      404,
      4004,
    );

    const second = await mintKey(owner.accessToken, sa.account_id);
    const archive = await h.call({
      method: 'DELETE',
      url: `/api/v1/service-accounts/${sa.account_id}`,
      headers: bearer(owner.accessToken),
    });
    assert.equal(archive.statusCode, 200);
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/me', headers: { 'x-api-key': second.key } }),
      401,
      4003,
    );
    const keys = await h.call({
      method: 'GET',
      url: `/api/v1/service-accounts/${sa.account_id}/api-keys`,
      headers: bearer(owner.accessToken),
    });
    assert.ok(keys.json().data.items.every((item: { is_revoked: boolean }) => item.is_revoked));
    const feed = await h.call({
      method: 'GET',
      url: `/api/v1/organizations/${owner.orgId}/activities`,
      headers: bearer(owner.accessToken),
    });
    const actions = feed.json().data.items.map((item: { action: string }) => item.action);
    for (const action of [
      'service_account.paused',
      'service_account.resumed',
      'service_account.archived',
      'api_key.created',
      'api_key.revoked',
    ]) {
      assert.ok(actions.includes(action), action);
    }
  });

  test('per-key rate limit answers 429 with retry_after', async () => {
    const { owner, sa } = await ownerWithServiceAccount({ rate_limit_per_minute: 2 });
    const key = await mintKey(owner.accessToken, sa.account_id);
    for (let i = 0; i < 2; i++) {
      assert.equal(
        (await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: { 'x-api-key': key.key } }))
          .statusCode,
        200,
      );
    }
    const limited = await h.call({
      method: 'GET',
      url: '/api/v1/auth/whoami',
      headers: { 'x-api-key': key.key },
    });
    assertError(limited, 429, 4008);
    assert.equal(limited.json().limit, 2);
    assert.equal(limited.json().window, '60s');
    assert.ok(limited.json().retry_after >= 1);
  });

  test('expired keys stop authenticating', async () => {
    const { owner, sa } = await ownerWithServiceAccount();
    const key = await mintKey(owner.accessToken, sa.account_id, { permissions: [], expires_in_days: 1 });
    await h.booted.context
      .database()
      .pool.query(`UPDATE account.api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        key.api_key_id,
      ]);
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/me', headers: { 'x-api-key': key.key } }),
      401,
      4003,
    );
  });
});
