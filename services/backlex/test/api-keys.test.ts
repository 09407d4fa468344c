import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, mock, test } from 'node:test';
import { BacklexHarness, type TestOrg, type TestUser } from './support/backlex.js';

let h: BacklexHarness;
let owner: TestUser;
let org: TestOrg;
let other: TestOrg;
before(async () => {
  h = await BacklexHarness.boot();
  owner = await h.user();
  org = await h.org(owner);
  other = await h.org();
});
after(async () => h?.close());

async function createKey(body: Record<string, unknown>, target = org, as = owner) {
  const response = await h.inject({
    method: 'POST',
    url: `/api/org/${target.slug}/api-keys`,
    as,
    payload: body,
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().key as { id: string; secret: string; prefix: string; expiresAt: string | null };
}

function withKey(secret: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) {
  return h.inject({
    method,
    url,
    headers: { authorization: `Bearer ${secret}` },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

describe('creating and listing keys', () => {
  test('the secret is pak_ + 64 hex, shown once, stored only as its sha-256', async () => {
    const key = await createKey({ name: 'ci', scope: 'read-only' });
    assert.match(key.secret, /^pak_[0-9a-f]{64}$/);
    assert.ok(key.secret.startsWith(key.prefix));
    assert.equal(key.expiresAt, null);

    const list = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/api-keys`, as: owner });
    assert.equal(list.statusCode, 200, list.body);
    const listed = list.json().keys.find((item: { id: string }) => item.id === key.id);
    assert.ok(listed);
    assert.equal(listed.secret, undefined);
    assert.equal(list.body.includes(key.secret), false);

    const { rows } = await h.service.booted.context
      .database()
      .pool.query('SELECT key FROM apikey WHERE id = $1', [key.id]);
    assert.equal(rows[0].key, createHash('sha256').update(key.secret).digest('base64url'));
  });

  test('expiresInDays sets expiresAt; 0, above 3650 and unknown mcpTools are 422 naming the field', async () => {
    const key = await createKey({ name: 'deploy', scope: 'deploy', expiresInDays: 30 });
    assert.ok(key.expiresAt);
    const days = (new Date(key.expiresAt).getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30, String(days));
    for (const [payload, field] of [
      [{ name: 'x', scope: 'full', expiresInDays: 0 }, 'expiresInDays'],
      [{ name: 'x', scope: 'full', expiresInDays: 3651 }, 'expiresInDays'],
      [{ name: 'x', scope: 'full', mcpTools: ['projects.list', 'projects.nuke'] }, 'mcpTools'],
      [{ name: 'x', scope: 'admin' }, 'scope'],
    ] as const) {
      const response = await h.inject({
        method: 'POST',
        url: `/api/org/${org.slug}/api-keys`,
        as: owner,
        payload,
      });
      assert.equal(response.statusCode, 422, response.body);
      assert.equal(response.json().error.code, 'VALIDATION');
      assert.ok(JSON.stringify(response.json().error.details).includes(field), response.body);
    }
  });

  test('the plugin’s own key and SSO endpoints are not reachable from outside (404)', async () => {
    for (const url of ['/api/auth/api-key/create', '/api/auth/api-key/list', '/api/auth/sso/register']) {
      const response = await h.inject({
        method: url.endsWith('list') ? 'GET' : 'POST',
        url,
        as: owner,
        payload: url.endsWith('list') ? undefined : { organizationId: org.id, name: 'sneaky' },
        skipContract: true,
      });
      assert.equal(response.statusCode, 404, `${url}: ${response.body}`);
    }
  });

  test('another org’s caller gets 404 for this org’s keys', async () => {
    const response = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/api-keys`, as: other.owner });
    assert.equal(response.statusCode, 404, response.body);
  });
});

describe('Bearer pak_… on org routes', () => {
  test('a key works on its own org, is 404 on another org, and 401 on session-only routes', async () => {
    const key = await createKey({ name: 'reader', scope: 'read-only' });
    const own = await withKey(key.secret, 'GET', `/api/org/${org.slug}/members`);
    assert.equal(own.statusCode, 200, own.body);
    const foreign = await withKey(key.secret, 'GET', `/api/org/${other.slug}/members`);
    assert.equal(foreign.statusCode, 404, foreign.body);
    const orgs = await withKey(key.secret, 'GET', '/api/orgs');
    assert.equal(orgs.statusCode, 401, orgs.body);
  });

  test('lastUsedAt is set once the key is used', async () => {
    const key = await createKey({ name: 'usage', scope: 'read-only' });
    await withKey(key.secret, 'GET', `/api/org/${org.slug}/members`);
    const list = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/api-keys`, as: owner });
    const listed = list.json().keys.find((item: { id: string }) => item.id === key.id);
    assert.ok(listed.lastUsedAt, list.body);
  });

  test('routes reserved to people are 403 even for a full key', async () => {
    const key = await createKey({ name: 'full', scope: 'full' });
    const create = await withKey(key.secret, 'POST', `/api/org/${org.slug}/api-keys`, {
      name: 'x',
      scope: 'full',
    });
    assert.equal(create.statusCode, 403, create.body);
    const list = await withKey(key.secret, 'GET', `/api/org/${org.slug}/api-keys`);
    assert.equal(list.statusCode, 403, list.body);
    const del = await withKey(key.secret, 'DELETE', `/api/org/${org.slug}`);
    assert.equal(del.statusCode, 403, del.body);
  });

  test('an mcpTools allowlist refuses operations it does not name', async () => {
    const key = await createKey({ name: 'mcp', scope: 'full', mcpTools: ['projects.list'] });
    const members = await withKey(key.secret, 'GET', `/api/org/${org.slug}/members`);
    assert.equal(members.statusCode, 403, members.body);
    const allowed = await createKey({ name: 'mcp2', scope: 'read-only', mcpTools: ['members.list'] });
    const ok = await withKey(allowed.secret, 'GET', `/api/org/${org.slug}/members`);
    assert.equal(ok.statusCode, 200, ok.body);
  });

  test('a revoked key is refused on the next request; revoking again is 404', async () => {
    const key = await createKey({ name: 'revoke-me', scope: 'read-only' });
    assert.equal((await withKey(key.secret, 'GET', `/api/org/${org.slug}/members`)).statusCode, 200);
    const revoke = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/api-keys/${key.id}`,
      as: owner,
    });
    assert.equal(revoke.statusCode, 204, revoke.body);
    const after = await withKey(key.secret, 'GET', `/api/org/${org.slug}/members`);
    assert.equal(after.statusCode, 401, after.body);
    const again = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/api-keys/${key.id}`,
      as: owner,
    });
    assert.equal(again.statusCode, 404, again.body);
  });

  test('another org cannot revoke this org’s key (404), and the key keeps working', async () => {
    const key = await createKey({ name: 'keep', scope: 'read-only' });
    const revoke = await h.inject({
      method: 'DELETE',
      url: `/api/org/${other.slug}/api-keys/${key.id}`,
      as: other.owner,
    });
    assert.equal(revoke.statusCode, 404, revoke.body);
    assert.equal((await withKey(key.secret, 'GET', `/api/org/${org.slug}/members`)).statusCode, 200);
  });

  test('a key past its expiresAt is 401, and the plugin drops it from the list', async () => {
    const key = await createKey({ name: 'one-day', scope: 'read-only', expiresInDays: 1 });
    assert.equal((await withKey(key.secret, 'GET', `/api/org/${org.slug}/members`)).statusCode, 200);
    // The service reads the process clock: moved a day and a minute on, the key has expired.
    const expiresAt = new Date(key.expiresAt as string).getTime();
    mock.timers.enable({ apis: ['Date'], now: expiresAt + 60_000 });
    let expired: Awaited<ReturnType<typeof withKey>>;
    try {
      expired = await withKey(key.secret, 'GET', `/api/org/${org.slug}/members`);
    } finally {
      mock.timers.reset();
    }
    assert.equal(expired.statusCode, 401, expired.body);
    assert.equal(expired.json().error.code, 'UNAUTHORIZED');
    // Back at the real time it stays refused: an expired key is deleted, not merely skipped.
    assert.equal((await withKey(key.secret, 'GET', `/api/org/${org.slug}/members`)).statusCode, 401);
    const list = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/api-keys`, as: owner });
    assert.equal(
      list.json().keys.some((item: { id: string }) => item.id === key.id),
      false,
      list.body,
    );
  });

  test('an unknown pak_ key is 401', async () => {
    const response = await withKey(`pak_${'0'.repeat(64)}`, 'GET', `/api/org/${org.slug}/members`);
    assert.equal(response.statusCode, 401, response.body);
  });
});
