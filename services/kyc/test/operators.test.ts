import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { holdEveryClient } from '@trustplane/kernel/testkit';
import { contract, Harness, PASSWORD } from './helpers.js';

let h: Harness;
before(async () => {
  h = await Harness.boot({ env: { KYC_LOGIN_MAX_FAILURES: '5' } });
});
after(async () => {
  await h?.close();
});

describe('health', () => {
  it('reports api and database checks per HealthResponse', async () => {
    const response = await h.call({ method: 'GET', url: '/api/health' });
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(body.status, 'healthy');
    assert.equal(body.service, 'kyc-verification-service');
    assert.equal(body.checks.database.code, 'HEALTH_CHECK_DB_HEALTHY');
  });

  it('a pool with every client taken is load, not an outage: 200 degraded, naming the pool', async () => {
    const { pool } = h.booted.context.database();
    const release = await holdEveryClient(pool);
    try {
      const response = await h.call({ method: 'GET', url: '/api/health' });
      assert.equal(response.statusCode, 200);
      const body = response.json();
      assert.equal(body.status, 'degraded');
      assert.equal(body.checks.database.code, 'HEALTH_CHECK_DB_HEALTHY');
      assert.match(body.checks.database.message, /^Connection pool busy: \d+ of \d+ connections in use/);
    } finally {
      release();
    }
    assert.equal((await h.call({ method: 'GET', url: '/api/health' })).json().status, 'healthy');
  });
});

describe('signup and login', () => {
  it('signs up, refuses a duplicate email (any case) and a missing acceptedTerms', async () => {
    const email = `Dup-${randomUUID().slice(0, 6)}@Example.com`;
    const payload = { fullName: 'Ann', email, password: PASSWORD, acceptedTerms: true };
    const first = await h.call({ method: 'POST', url: '/api/auth/signup', payload });
    assert.equal(first.statusCode, 201);
    assert.equal(first.json().user.email, email);
    assert.equal('passwordHash' in first.json().user, false);
    const again = await h.call({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { ...payload, email: email.toLowerCase() },
    });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error, 'EMAIL_ALREADY_REGISTERED');
    const terms = await h.call({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { ...payload, email: `t-${email}`, acceptedTerms: false },
    });
    assert.equal(terms.statusCode, 400);
    assert.equal(terms.json().error, 'VALIDATION_ERROR');
    assert.ok(terms.json().fieldErrors.acceptedTerms);
    const stored = await h.kyc.database.kysely
      .selectFrom('users')
      .select('password_hash')
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    assert.match(stored.password_hash, /^\$argon2id\$/);
  });

  it('answers INVALID_JSON for a malformed body and VALIDATION_ERROR with fieldErrors', async () => {
    const bad = await h.call({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":',
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error, 'INVALID_JSON');
    const invalid = await h.call({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'nope', password: '' },
    });
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().error, 'VALIDATION_ERROR');
    assert.ok(invalid.json().fieldErrors.email);
  });

  it('sets a signed httpOnly kyc_session cookie; remember-device makes it long-lived; wrong password is 401', async () => {
    const { email } = await h.operator();
    const wrong = await h.call({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email, password: 'wrong password' },
    });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error, 'INVALID_CREDENTIALS');
    const unknown = await h.call({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: `x${email}`, password: PASSWORD },
    });
    assert.equal(unknown.statusCode, 401);
    const shortLived = await h.call({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email, password: PASSWORD },
    });
    const cookie = shortLived.cookies.find((c) => c.name === 'kyc_session');
    assert.ok(cookie?.httpOnly);
    assert.equal(cookie?.maxAge, undefined);
    assert.ok(cookie?.value.includes('.'), 'signed value');
    const remembered = await h.call({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email, password: PASSWORD, rememberDevice: true },
    });
    const long = remembered.cookies.find((c) => c.name === 'kyc_session');
    assert.ok((long?.maxAge ?? 0) >= 7 * 86400);
  });

  it('refuses a tampered cookie and logs out server-side', async () => {
    const { cookie } = await h.operator();
    const ok = await h.call({ method: 'GET', url: '/api/organizations', headers: { cookie } });
    assert.equal(ok.statusCode, 200);
    const tampered = await h.call({
      method: 'GET',
      url: '/api/organizations',
      headers: { cookie: `${cookie}x` },
    });
    assert.equal(tampered.statusCode, 401);
    assert.equal(tampered.json().error, 'UNAUTHENTICATED');
    const out = await h.call({ method: 'POST', url: '/api/auth/logout', headers: { cookie } });
    assert.equal(out.statusCode, 200);
    const after = await h.call({ method: 'GET', url: '/api/organizations', headers: { cookie } });
    assert.equal(after.statusCode, 401);
  });
});

describe('login throttling', () => {
  it('locks an account after repeated failures, even for the right password, without touching others', async () => {
    const victim = await h.operator();
    const bystander = await h.operator();
    for (let i = 0; i < 5; i += 1) {
      const wrong = await h.call({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: victim.email, password: `guess-${i}` },
      });
      assert.equal(wrong.statusCode, 401);
    }
    const locked = await h.call({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: victim.email, password: PASSWORD },
    });
    assert.equal(locked.statusCode, 401);
    assert.equal(locked.json().error, 'INVALID_CREDENTIALS');
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.equal(locked.cookies.length, 0);
    const other = await h.call({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: bystander.email, password: PASSWORD },
    });
    assert.equal(other.statusCode, 200);
  });
});

describe('operator session expiry', () => {
  it('an expired server-side session no longer authenticates its cookie', async () => {
    const { cookie, userId } = await h.operator();
    await h.kyc.database.kysely
      .updateTable('operator_sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('user_id', '=', userId)
      .execute();
    const response = await h.call({
      method: 'GET',
      url: '/api/dashboard/verifications',
      headers: { cookie },
    });
    assert.equal(response.statusCode, 401);
    assert.equal(response.json().error, 'UNAUTHENTICATED');
  });
});

describe('organizations', () => {
  it('creates with an owner membership, lists only own orgs, 409 on a taken customerId', async () => {
    const a = await h.operator();
    const b = await h.operator();
    const customerId = `cust-${randomUUID()}`;
    const payload = { customerId, legalEmail: 'legal@acme.test', displayName: 'Acme', aliasName: 'ACME EU' };
    const created = await h.call({
      method: 'POST',
      url: '/api/organizations',
      headers: { cookie: a.cookie },
      payload,
    });
    assert.equal(created.statusCode, 201);
    assert.equal(created.json().organization.customerId, customerId);
    const taken = await h.call({
      method: 'POST',
      url: '/api/organizations',
      headers: { cookie: b.cookie },
      payload,
    });
    assert.equal(taken.statusCode, 409);
    assert.equal(taken.json().error, 'CUSTOMER_ID_TAKEN');
    const listA = await h.call({ method: 'GET', url: '/api/organizations', headers: { cookie: a.cookie } });
    assert.deepEqual(
      listA
        .json()
        .organizations.map((o: { customerId: string; subtitle: string }) => [o.customerId, o.subtitle]),
      [[customerId, 'ACME EU']],
    );
    const listB = await h.call({ method: 'GET', url: '/api/organizations', headers: { cookie: b.cookie } });
    assert.deepEqual(listB.json().organizations, []);
    const anonymous = await h.call({ method: 'POST', url: '/api/organizations', payload });
    assert.equal(anonymous.statusCode, 401);
    const invalid = await h.call({
      method: 'POST',
      url: '/api/organizations',
      headers: { cookie: a.cookie },
      payload: { customerId: '', legalEmail: 'x', displayName: 'A' },
    });
    assert.equal(invalid.statusCode, 400);
  });
});

describe('API keys', () => {
  it('mints pk/sk pairs returned once, stores only sha-256, lists and revokes', async () => {
    const t = await h.tenant();
    assert.match(t.pk, /^pk_test_[0-9A-Za-z]+$/);
    assert.match(t.sk, /^sk_test_[0-9A-Za-z]+$/);
    assert.equal(t.body.secret.summary.keyPrefix, t.sk.slice(0, 16));
    const live = await h.keys(t.cookie, t.organizationId, 'live');
    assert.match(live.sk, /^sk_live_/);
    const rows = await h.kyc.database.kysely
      .selectFrom('api_keys')
      .selectAll()
      .where('organization_id', '=', t.organizationId)
      .execute();
    assert.equal(rows.length, 4);
    for (const row of rows) {
      assert.match(row.key_hash, /^[0-9a-f]{64}$/);
      assert.ok(![t.pk, t.sk, live.pk, live.sk].includes(row.key_hash));
    }
    const list = await h.call({
      method: 'GET',
      url: `/api/dashboard/organizations/${t.organizationId}/api-keys`,
      headers: { cookie: t.cookie },
    });
    assert.equal(list.statusCode, 200);
    assert.equal(list.json().keys.length, 4);
    assert.ok(!list.body.includes(t.sk));

    // The secret key authenticates and stamps lastUsedAt; the publishable one cannot create sessions.
    await h.session(t.sk);
    const pk = await h.call({
      method: 'POST',
      url: '/api/verification/sessions',
      headers: { authorization: `Bearer ${t.pk}` },
    });
    assert.equal(pk.statusCode, 401);
    assert.equal(pk.json().error, 'API_KEY_INVALID');
    const secretId = t.body.secret.summary.id;
    const listed = await h.call({
      method: 'GET',
      url: `/api/dashboard/organizations/${t.organizationId}/api-keys`,
      headers: { cookie: t.cookie },
    });
    assert.ok(listed.json().keys.find((k: { id: string }) => k.id === secretId).lastUsedAt);

    const revoke = await h.call({
      method: 'DELETE',
      url: `/api/dashboard/organizations/${t.organizationId}/api-keys/${secretId}`,
      headers: { cookie: t.cookie },
    });
    assert.equal(revoke.statusCode, 200);
    assert.ok(revoke.json().key.revokedAt);
    const again = await h.call({
      method: 'DELETE',
      url: `/api/dashboard/organizations/${t.organizationId}/api-keys/${secretId}`,
      headers: { cookie: t.cookie },
    });
    assert.equal(again.statusCode, 404);
    const refused = await h.call({
      method: 'POST',
      url: '/api/verification/sessions',
      headers: { authorization: `Bearer ${t.sk}` },
    });
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.json().error, 'API_KEY_INVALID');
  });

  it('403 for a non-member on list, mint and revoke; 400 on a bad environment', async () => {
    const owner = await h.tenant();
    const stranger = await h.operator();
    const base = `/api/dashboard/organizations/${owner.organizationId}/api-keys`;
    const list = await h.call({ method: 'GET', url: base, headers: { cookie: stranger.cookie } });
    assert.equal(list.statusCode, 403);
    const mint = await h.call({
      method: 'POST',
      url: base,
      headers: { cookie: stranger.cookie },
      payload: { environment: 'test' },
    });
    assert.equal(mint.statusCode, 403);
    const revoke = await h.call({
      method: 'DELETE',
      url: `${base}/${owner.body.secret.summary.id}`,
      headers: { cookie: stranger.cookie },
    });
    assert.equal(revoke.statusCode, 403);
    const unknownOrg = await h.call({
      method: 'GET',
      url: `/api/dashboard/organizations/${randomUUID()}/api-keys`,
      headers: { cookie: stranger.cookie },
    });
    assert.equal(unknownOrg.statusCode, 403);
    const env = await h.call({
      method: 'POST',
      url: base,
      headers: { cookie: owner.cookie },
      payload: { environment: 'prod' },
    });
    assert.equal(env.statusCode, 400);
    const anonymous = await h.call({ method: 'GET', url: base });
    assert.equal(anonymous.statusCode, 401);
  });

  it('distinguishes a missing key from an invalid one', async () => {
    const missing = await h.call({ method: 'POST', url: '/api/verification/sessions' });
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.json().error, 'API_KEY_MISSING');
    const garbage = await h.call({
      method: 'POST',
      url: '/api/verification/sessions',
      headers: { authorization: 'Bearer sk_test_nope' },
    });
    assert.equal(garbage.json().error, 'API_KEY_INVALID');
    const basic = await h.call({
      method: 'POST',
      url: '/api/verification/sessions',
      headers: { authorization: 'Basic abc' },
    });
    assert.equal(basic.json().error, 'API_KEY_INVALID');
  });
});

describe('surface', () => {
  it('serves every seed operation, each in the generated OpenAPI document under its operationId', async () => {
    h.service.assertSeedOperationsServed();
    const response = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.statusCode, 200);
    const documented = new Set(
      Object.values(
        response.json().paths as Record<string, Record<string, { operationId?: string }>>,
      ).flatMap((methods) => Object.values(methods).map((operation) => operation.operationId)),
    );
    const missing = contract
      .operations()
      .filter((operation) => !documented.has(operation.operationId))
      .map((operation) => operation.operationId);
    assert.deepEqual(missing, []);
  });

  it('refuses an oversize body in the envelope and changes nothing', async () => {
    const email = `big-${randomUUID()}@example.com`;
    const response = await h.call({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { fullName: 'x'.repeat(2 * 1024 * 1024), email, password: PASSWORD, acceptedTerms: true },
      skipContract: true,
    });
    assert.equal(response.statusCode, 413);
    assert.equal(response.json().ok, false);
    const row = await h.kyc.database.kysely
      .selectFrom('users')
      .select('id')
      .where('email', '=', email)
      .executeTakeFirst();
    assert.equal(row, undefined);
  });
});
