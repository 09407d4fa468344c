// The hot path's caches (README, "Hot path"): the org gate's memberships and orgs, verified API keys
// and memoised sessions are held per process; a change must still reach the next request — on the
// instance that made it at once, on another instance on the same database once PostgreSQL's NOTIFY
// (migration 0041) arrives, whoever wrote the row.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, mock, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { apiKeyDigest } from '../src/api-keys/api-key-plugin.js';
import { buildBacklexApp } from '../src/http/app.js';
import { defaultKeyHasher } from '@better-auth/api-key';
import { BacklexHarness, type TestUser } from './support/backlex.js';

let h: BacklexHarness;
/** A second backlex on the same database: its own caches, its own LISTEN connection. */
let second: FastifyInstance;
before(async () => {
  h = await BacklexHarness.boot();
  second = await buildBacklexApp(h.service.booted.context, 'second');
  await second.ready();
});
after(async () => {
  await second?.close();
  await h?.close();
});

function onSecond(url: string, headers: Record<string, string>) {
  return second.inject({ method: 'GET', url, headers });
}
const asUser = (user: TestUser) => ({ cookie: user.cookie, 'x-forwarded-for': user.ip });
const withKey = (secret: string) => ({ authorization: `Bearer ${secret}` });

/**
 * The other instance's answers until `done` says the change arrived (a NOTIFY is delivered after the
 * commit, asynchronously), within a generous bound for a loaded machine. Returns the last answer.
 */
async function untilOnSecond(
  url: string,
  headers: Record<string, string>,
  done: (status: number) => boolean,
) {
  let status = 0;
  let body = '';
  for (let attempt = 0; attempt < 250; attempt++) {
    const response = await onSecond(url, headers);
    status = response.statusCode;
    body = response.body;
    if (done(status)) break;
    await sleep(20);
  }
  return { status, body };
}

async function createKey(slug: string, owner: TestUser) {
  const response = await h.inject({
    method: 'POST',
    url: `/api/org/${slug}/api-keys`,
    as: owner,
    payload: { name: 'cached', scope: 'read-only' },
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json().key as { id: string; secret: string };
}

describe('membership cache (org gate)', () => {
  test('a member removed on one instance is refused by the other, whose cache held the membership', async () => {
    const org = await h.org();
    const member = await h.member(org, 'developer');
    const url = `/api/org/${org.slug}/members`;
    // Twice on the second instance: the membership is now in its cache.
    assert.equal((await onSecond(url, asUser(member))).statusCode, 200);
    assert.equal((await onSecond(url, asUser(member))).statusCode, 200);
    const removed = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/members/${member.memberId}`,
      as: org.owner,
    });
    assert.equal(removed.statusCode, 204, removed.body);
    // The instance that removed them: the very next request.
    assert.equal((await h.inject({ method: 'GET', url, as: member })).statusCode, 404);
    const other = await untilOnSecond(url, asUser(member), (status) => status !== 200);
    assert.equal(other.status, 404, other.body);
  });

  test('a role lowered on one instance is enforced by the other', async () => {
    const org = await h.org();
    const admin = await h.member(org, 'admin');
    const url = `/api/org/${org.slug}/audit`;
    assert.equal((await onSecond(url, asUser(admin))).statusCode, 200);
    const demoted = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}/members/${admin.memberId}`,
      as: org.owner,
      payload: { role: 'viewer' },
    });
    assert.equal(demoted.statusCode, 200, demoted.body);
    assert.equal((await h.inject({ method: 'GET', url, as: admin })).statusCode, 403);
    const other = await untilOnSecond(url, asUser(admin), (status) => status !== 200);
    assert.equal(other.status, 403, other.body);
  });

  test('a membership row deleted outside backlex’s routes (as a plugin or psql would) is dropped everywhere', async () => {
    const org = await h.org();
    const member = await h.member(org, 'viewer');
    const url = `/api/org/${org.slug}/members`;
    assert.equal((await h.inject({ method: 'GET', url, as: member })).statusCode, 200);
    assert.equal((await onSecond(url, asUser(member))).statusCode, 200);
    const { kysely } = h.service.booted.context.database();
    await sql`DELETE FROM member WHERE id = ${member.memberId}`.execute(kysely);
    const other = await untilOnSecond(url, asUser(member), (status) => status !== 200);
    assert.equal(other.status, 404, other.body);
    let own = 0;
    for (let attempt = 0; attempt < 250 && own !== 404; attempt++) {
      own = (await h.inject({ method: 'GET', url, as: member })).statusCode;
      if (own !== 404) await sleep(20);
    }
    assert.equal(own, 404);
  });
});

describe('API key cache', () => {
  test('the stored digest is the plugin’s own (sha-256, base64url)', async () => {
    const key = `pak_${'ab'.repeat(32)}`;
    assert.equal(apiKeyDigest(key), await defaultKeyHasher(key));
  });

  test('a key revoked on one instance is refused by the other, whose cache held it', async () => {
    const org = await h.org();
    const key = await createKey(org.slug, org.owner);
    const url = `/api/org/${org.slug}/members`;
    assert.equal((await onSecond(url, withKey(key.secret))).statusCode, 200);
    assert.equal((await onSecond(url, withKey(key.secret))).statusCode, 200);
    const revoked = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/api-keys/${key.id}`,
      as: org.owner,
    });
    assert.equal(revoked.statusCode, 204, revoked.body);
    assert.equal((await h.inject({ method: 'GET', url, headers: withKey(key.secret) })).statusCode, 401);
    const other = await untilOnSecond(url, withKey(key.secret), (status) => status !== 200);
    assert.equal(other.status, 401, other.body);
  });

  test('lastUsedAt is written at most once a minute per key, and again after a minute', async () => {
    const org = await h.org();
    const key = await createKey(org.slug, org.owner);
    const url = `/api/org/${org.slug}/members`;
    const { kysely } = h.service.booted.context.database();
    const lastRequest = async () =>
      (
        await sql<{
          lastRequest: Date | null;
        }>`SELECT "lastRequest" FROM apikey WHERE id = ${key.id}`.execute(kysely)
      ).rows[0]?.lastRequest;
    assert.equal((await h.inject({ method: 'GET', url, headers: withKey(key.secret) })).statusCode, 200);
    const first = await lastRequest();
    assert.ok(first);
    for (let i = 0; i < 3; i++) await h.inject({ method: 'GET', url, headers: withKey(key.secret) });
    assert.equal((await lastRequest())?.getTime(), first.getTime(), 'written again within the minute');
    mock.timers.enable({ apis: ['Date'], now: first.getTime() + 61_000 });
    try {
      assert.equal((await h.inject({ method: 'GET', url, headers: withKey(key.secret) })).statusCode, 200);
    } finally {
      mock.timers.reset();
    }
    assert.ok(((await lastRequest())?.getTime() ?? 0) > first.getTime(), 'not written after a minute');
  });
});

describe('org cache (the key gate’s org by slug)', () => {
  test('an ipAllowlist set on one instance applies to keys on the other', async () => {
    const org = await h.org();
    const key = await createKey(org.slug, org.owner);
    const url = `/api/org/${org.slug}/members`;
    assert.equal((await onSecond(url, withKey(key.secret))).statusCode, 200);
    // The owner's own address stays allowed; the key's requests (from loopback) are now outside.
    const patched = await h.inject({
      method: 'PATCH',
      url: `/api/org/${org.slug}`,
      as: org.owner,
      payload: { ipAllowlist: [org.owner.ip] },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    const other = await untilOnSecond(url, withKey(key.secret), (status) => status !== 200);
    assert.equal(other.status, 403, other.body);
  });
});

describe('session memo', () => {
  test('replayed cookies of a signed-out session are refused once the cache cookie has expired, memo or not', async () => {
    const user = await h.user();
    const cookie = await h.signIn(user);
    const headers = { cookie, 'x-forwarded-for': user.ip };
    // Answered (and memoised) twice.
    assert.equal((await h.inject({ method: 'GET', url: '/api/orgs', headers })).statusCode, 200);
    assert.equal((await h.inject({ method: 'GET', url: '/api/orgs', headers })).statusCode, 200);
    const signedOut = await h.inject({
      method: 'POST',
      url: '/api/auth/sign-out',
      headers: { ...headers, origin: 'http://localhost:8787' },
      skipContract: true,
    });
    assert.equal(signedOut.statusCode, 200, signedOut.body);
    // 61 s on, past the cache cookie's own expiry and the memo's 60 s: better-auth reads the
    // session, which is gone.
    mock.timers.enable({ apis: ['Date'], now: Date.now() + 61_000 });
    let replayed: Awaited<ReturnType<typeof h.inject>>;
    try {
      replayed = await h.inject({ method: 'GET', url: '/api/orgs', headers });
    } finally {
      mock.timers.reset();
    }
    assert.equal(replayed.statusCode, 401, replayed.body);
  });
});
