import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { assertError, bearer, Harness, PASSWORD, testEnv } from './helpers.js';

testEnv();
let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

describe('register', () => {
  test('creates account + personal org, sets cookies, queues the verification email', async () => {
    const user = await h.register({ display_name: 'Jane Doe' });
    const claims = decodeJwt(user.accessToken);
    assert.equal(decodeProtectedHeader(user.accessToken).alg, 'RS256');
    assert.ok(decodeProtectedHeader(user.accessToken).kid);
    for (const claim of [
      'sub',
      'sid',
      'org_id',
      'permissions',
      'organizations',
      'principal_type',
      'jti',
      'exp',
      'iat',
      'iss',
    ]) {
      assert.ok(claim in claims, `claim ${claim}`);
    }
    assert.equal(claims.sub, user.accountId);
    assert.equal(claims.org_id, user.orgId);
    assert.equal(claims.principal_type, 'human');
    assert.deepEqual(claims.permissions, ['read:organizations', 'read:profile', 'read:sessions'].sort());
    assert.deepEqual(claims.organizations, [{ id: user.orgId, role: 'owner' }]);
    assert.equal((claims.exp as number) - (claims.iat as number), 900);
    const refresh = user.cookies.find((cookie) => cookie.name === 'refresh_token');
    const csrf = user.cookies.find((cookie) => cookie.name === 'csrf_token');
    assert.ok(refresh?.httpOnly);
    assert.equal(refresh?.path, '/');
    assert.equal(refresh?.maxAge, 30 * 86_400);
    assert.ok(csrf && !csrf.httpOnly);
    const mail = await h.lastEmail(user.email, 'email_verification');
    assert.equal(mail.event_type, 'email.requested');
    assert.equal(mail.is_resend, false);
    assert.equal(mail.display_name, 'Jane Doe');
    assert.equal(typeof mail.token, 'string');
    assert.equal(typeof mail.base_url, 'string');
  });

  test('one-time tokens leave the outbox once the email request is delivered', async () => {
    const user = await h.register();
    await h.call({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email: user.email } });
    const outboxRows = async () =>
      (
        await h.booted.context
          .database()
          .pool.query(
            `SELECT published_at FROM platform.outbox WHERE topic = 'email.requested' AND payload->>'to' = $1`,
            [user.email],
          )
      ).rows;
    assert.equal((await outboxRows()).length, 2, 'both requests wait in the outbox until delivered');
    const verification = await h.lastEmail(user.email, 'email_verification');
    const reset = await h.lastEmail(user.email, 'password_reset');
    assert.deepEqual(await outboxRows(), [], 'delivered: no row holds the tokens any more');
    // The tokens themselves still work: only the copy in the outbox is gone.
    const page = await h.app.inject({ method: 'GET', url: `/verify-email?token=${verification.token}` });
    assert.equal(page.statusCode, 200, page.body);
    assert.equal(typeof reset.token, 'string');
  });

  test('response envelope is 201/2010 with the personal org', async () => {
    const response = await h.call({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: {
        email: 'envelope@example.com',
        password: PASSWORD,
        display_name: 'Eve Lope',
        timezone: 'Asia/Jakarta',
        language: 'id',
      },
    });
    assert.equal(response.statusCode, 201);
    const body = response.json();
    assert.equal(body.code, 2010);
    assert.equal(body.data.personal_org.my_role, 'owner');
    assert.deepEqual(body.data.personal_org.my_permissions, ['*']);
    assert.match(body.data.personal_org.slug, /^eve-lope-personal-[0-9a-f]{8}$/);
    assert.equal(body.data.personal_org.name, "Eve Lope's Personal");
  });

  test('duplicate email is 422/4002 naming the field, case-insensitively', async () => {
    const user = await h.register();
    const response = await h.call({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: user.email.toUpperCase(), password: PASSWORD, display_name: 'X' },
    });
    assertError(response, 422, 4002, /^email: /);
  });

  test('validation names the field', async () => {
    const bad = await h.call({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'nope', password: PASSWORD, display_name: 'X' },
    });
    assertError(bad, 422, 4002, /^email: invalid format/);
    for (const password of ['Short1!', 'alllower123!', 'ALLUPPER123!', 'NoDigits!!', 'NoSpecial123']) {
      const weak = await h.call({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: `weak-${Math.random()}@example.com`, password, display_name: 'X' },
      });
      assertError(weak, 422, 4002, /^password: must contain/);
    }
    const missing = await h.call({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'a@b.co' },
    });
    assertError(missing, 422, 4002, /password/);
  });

  test('concurrent registrations of one email: exactly one account', async () => {
    const payload = { email: 'race@example.com', password: PASSWORD, display_name: 'Race' };
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => h.call({ method: 'POST', url: '/api/v1/auth/register', payload })),
    );
    assert.equal(results.filter((r) => r.statusCode === 201).length, 1);
    for (const r of results.filter((r) => r.statusCode !== 201)) assertError(r, 422, 4002, /^email: /);
  });

  test('malformed JSON is 400/4000 and changes nothing', async () => {
    const response = await h.call({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    });
    assertError(response, 400, 4000);
  });
});

describe('login, whoami, verification upgrade', () => {
  test('unverified → verified permission upgrade after refresh', async () => {
    const user = await h.register();
    const whoami = await h.call({
      method: 'GET',
      url: '/api/v1/auth/whoami',
      headers: bearer(user.accessToken),
    });
    assert.equal(whoami.statusCode, 200);
    assert.deepEqual(whoami.json().data.permissions, ['read:organizations', 'read:profile', 'read:sessions']);
    assert.equal(whoami.json().data.current_org_id, user.orgId);
    // Unverified token cannot do org admin work.
    const invite = await h.call({
      method: 'POST',
      url: `/api/v1/organizations/${user.orgId}/members`,
      headers: bearer(user.accessToken),
      payload: { email: 'x@example.com' },
    });
    assertError(invite, 401, 4003, /members:invite/);
    const mail = await h.lastEmail(user.email, 'email_verification');
    const page = await h.app.inject({ method: 'GET', url: `/verify-email?token=${mail.token}` });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    // The page's token must not leak through a referrer or a frame; only its own inline style runs.
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(
      page.headers['content-security-policy'],
      "default-src 'none';style-src 'unsafe-inline';form-action 'self'",
    );
    assert.equal(page.headers['cache-control'], 'no-store');
    // The token issued before verification keeps its reduced permissions.
    const before = await h.call({
      method: 'GET',
      url: '/api/v1/auth/whoami',
      headers: bearer(user.accessToken),
    });
    assert.deepEqual(before.json().data.permissions, ['read:organizations', 'read:profile', 'read:sessions']);
    const refreshed = await h.call({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: user.refreshToken },
    });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    assert.equal(refreshed.json().data.requires_email_verification, false);
    const after = await h.call({
      method: 'GET',
      url: '/api/v1/auth/whoami',
      headers: bearer(refreshed.json().data.access_token),
    });
    assert.deepEqual(after.json().data.permissions, ['*']);
    // The link is single use.
    const again = await h.app.inject({ method: 'GET', url: `/verify-email?token=${mail.token}` });
    assert.equal(again.statusCode, 400);
  });

  test('login returns the org list, csrf token and cookies', async () => {
    const user = await h.register();
    const response = await h.call({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: PASSWORD },
    });
    assert.equal(response.statusCode, 200);
    const data = response.json().data;
    assert.equal(data.current_org_id, user.orgId);
    assert.equal(data.organizations.length, 1);
    assert.equal(data.requires_email_verification, true);
    const csrf = response.cookies.find((cookie) => cookie.name === 'csrf_token');
    assert.equal(csrf?.value, data.csrf_token);
  });

  test('wrong password and unknown email look the same', async () => {
    const user = await h.register();
    const wrong = await h.call({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '10.9.0.1',
      payload: { email: user.email, password: 'Wrong123!x' },
    });
    const unknown = await h.call({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '10.9.0.2',
      payload: { email: 'ghost@example.com', password: 'Wrong123!x' },
    });
    assertError(wrong, 401, 4003);
    assertError(unknown, 401, 4003);
    assert.equal(wrong.json().message, unknown.json().message);
  });

  test('missing, malformed and forged credentials are 401/4003', async () => {
    assertError(await h.call({ method: 'GET', url: '/api/v1/auth/whoami' }), 401, 4003);
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: { authorization: 'Basic abc' } }),
      401,
      4003,
    );
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer('not.a.jwt') }),
      401,
      4003,
    );
  });

  test('a refresh token is not an access token', async () => {
    const user = await h.register();
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(user.refreshToken) }),
      401,
      4003,
    );
  });
});

describe('refresh rotation', () => {
  test('rotates, and replaying the old refresh token kills the session', async () => {
    const user = await h.register();
    const first = await h.call({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: user.refreshToken },
    });
    assert.equal(first.statusCode, 200);
    const rotated = first.json().data;
    assert.notEqual(rotated.refresh_token, user.refreshToken);
    assert.equal(decodeJwt(rotated.access_token).sid, decodeJwt(user.accessToken).sid);
    const replay = await h.call({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: user.refreshToken },
    });
    assertError(replay, 401, 4003);
    // The whole session is gone: the rotated pair no longer works either.
    const next = await h.call({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: rotated.refresh_token },
    });
    assertError(next, 401, 4003, /revoked or expired/);
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(rotated.access_token) }),
      401,
      4003,
    );
  });

  test('refresh from the cookie needs the CSRF header (double submit)', async () => {
    const user = await h.register();
    const refreshCookie = user.cookies.find((cookie) => cookie.name === 'refresh_token')!.value;
    const csrfCookie = user.cookies.find((cookie) => cookie.name === 'csrf_token')!.value;
    const cookies = { refresh_token: refreshCookie, csrf_token: csrfCookie };
    const missing = await h.call({ method: 'POST', url: '/api/v1/auth/refresh', cookies });
    assertError(missing, 403, 4030, /Invalid CSRF token/);
    const wrong = await h.call({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      cookies,
      headers: { 'x-csrf-token': 'nope' },
    });
    assertError(wrong, 403, 4030);
    const ok = await h.call({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      cookies,
      headers: { 'x-csrf-token': csrfCookie },
    });
    assert.equal(ok.statusCode, 200, ok.body);
  });

  test('concurrent refreshes with one token: one wins, the session is then treated as replayed', async () => {
    const user = await h.register();
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        h.call({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: { refresh_token: user.refreshToken },
        }),
      ),
    );
    assert.ok(results.filter((r) => r.statusCode === 200).length <= 1);
    assert.ok(results.every((r) => r.statusCode === 200 || r.statusCode === 401));
  });
});

describe('logout and revocation', () => {
  test('a revoked access token fails immediately; cookies cleared', async () => {
    const user = await h.register();
    const logout = await h.call({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: bearer(user.accessToken),
    });
    assert.equal(logout.statusCode, 200);
    assert.deepEqual(logout.json().data, { success: true });
    const cleared = logout.cookies.filter((cookie) => ['refresh_token', 'csrf_token'].includes(cookie.name));
    assert.equal(cleared.length, 2);
    assert.ok(cleared.every((cookie) => cookie.value === '' || (cookie.maxAge ?? 1) <= 0 || cookie.expires));
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(user.accessToken) }),
      401,
      4003,
    );
    assertError(
      await h.call({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refresh_token: user.refreshToken },
      }),
      401,
      4003,
    );
    const introspect = await h.call({
      method: 'POST',
      url: '/api/v1/auth/verify',
      payload: { token: user.accessToken },
    });
    assert.equal(introspect.json().data.valid, false);
  });

  test('logout clears cookies even when the revoke fails (no credentials)', async () => {
    const response = await h.call({ method: 'POST', url: '/api/v1/auth/logout' });
    assertError(response, 401, 4003);
    assert.ok(response.cookies.some((cookie) => cookie.name === 'refresh_token'));
  });

  test('logout-all sweeps every session', async () => {
    const user = await h.register();
    const other = await h.login(user.email);
    const response = await h.call({
      method: 'POST',
      url: '/api/v1/auth/logout-all',
      headers: bearer(user.accessToken),
    });
    assert.equal(response.statusCode, 200);
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(other.access_token) }),
      401,
      4003,
    );
  });

  test('introspection of a valid token returns its claims as-is', async () => {
    const user = await h.register();
    const response = await h.call({
      method: 'POST',
      url: '/api/v1/auth/verify',
      payload: { token: user.accessToken },
    });
    const data = response.json().data;
    assert.equal(data.valid, true);
    assert.equal(data.account_id, user.accountId);
    assert.equal(data.organization_id, user.orgId);
    assert.equal(data.session_id, decodeJwt(user.accessToken).sid);
  });
});
