import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { assertError, bearer, Harness, PASSWORD, testEnv } from './helpers.js';

testEnv();
let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

describe('profile', () => {
  test('GET /me and PUT /me (omitted fields untouched)', async () => {
    const user = await h.register({ display_name: 'Jane Doe' });
    const me = await h.call({ method: 'GET', url: '/api/v1/me', headers: bearer(user.accessToken) });
    assert.equal(me.statusCode, 200);
    const profile = me.json().data;
    assert.equal(profile.account_type, 'human');
    assert.equal(profile.email, user.email);
    assert.equal(profile.email_verified, false);
    assert.equal(profile.timezone, 'UTC');
    assert.equal(profile.language, 'en');
    const updated = await h.call({
      method: 'PUT',
      url: '/api/v1/me',
      headers: bearer(user.accessToken),
      payload: { display_name: 'Jane D.', timezone: 'Asia/Singapore' },
    });
    assert.equal(updated.statusCode, 200, updated.body);
    assert.equal(updated.json().data.display_name, 'Jane D.');
    assert.equal(updated.json().data.timezone, 'Asia/Singapore');
    assert.equal(updated.json().data.language, 'en');
    const bad = await h.call({
      method: 'PUT',
      url: '/api/v1/me',
      headers: bearer(user.accessToken),
      payload: { timezone: 'Mars/Olympus' },
    });
    assertError(bad, 422, 4002, /^timezone: /);
    const serviceOnly = await h.call({
      method: 'PUT',
      url: '/api/v1/me',
      headers: bearer(user.accessToken),
      payload: { capabilities: ['museum:read'] },
    });
    assertError(serviceOnly, 422, 4002, /^capabilities: /);
  });
});

describe('sessions', () => {
  test('list flags the current one; revoke one; legacy paths', async () => {
    const user = await h.register();
    const second = await h.login(user.email, PASSWORD, '198.51.100.7');
    const list = await h.call({
      method: 'GET',
      url: '/api/v1/me/sessions',
      headers: bearer(second.access_token),
    });
    assert.equal(list.statusCode, 200);
    const sessions = list.json().data.sessions;
    assert.equal(sessions.length, 2);
    const current = sessions.find((s: { is_current: boolean }) => s.is_current);
    assert.equal(current.session_id, decodeJwt(second.access_token).sid);
    assert.equal(current.ip_address, '198.51.100.7');
    const legacy = await h.call({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: bearer(second.access_token),
      contractPath: '/api/v1/me/sessions',
    });
    assert.equal(legacy.json().data.sessions.length, 2);
    const firstSid = decodeJwt(user.accessToken).sid as string;
    const revoke = await h.call({
      method: 'DELETE',
      url: `/api/v1/me/sessions/${firstSid}`,
      headers: bearer(second.access_token),
    });
    assert.equal(revoke.statusCode, 200);
    assert.equal(revoke.json().data, null);
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/me', headers: bearer(user.accessToken) }),
      401,
      4003,
    );
    const gone = await h.call({
      method: 'DELETE',
      url: `/api/v1/sessions/${firstSid}`,
      headers: bearer(second.access_token),
      contractPath: `/api/v1/me/sessions/${firstSid}`,
    });
    assertError(gone, 404, 4004);
  });

  test("another user's session is not found", async () => {
    const a = await h.register();
    const b = await h.register();
    const sid = decodeJwt(b.accessToken).sid as string;
    assertError(
      await h.call({ method: 'DELETE', url: `/api/v1/me/sessions/${sid}`, headers: bearer(a.accessToken) }),
      404,
      4004,
    );
    assert.equal(
      (await h.call({ method: 'GET', url: '/api/v1/me', headers: bearer(b.accessToken) })).statusCode,
      200,
    );
  });
});

describe('password', () => {
  test('change password revokes every other session, keeps the current one', async () => {
    const user = await h.register();
    const other = await h.login(user.email);
    const wrong = await h.call({
      method: 'POST',
      url: '/api/v1/me/password',
      headers: bearer(user.accessToken),
      payload: { current_password: 'Wrong123!x', new_password: 'NewSecurePass456!' },
    });
    assertError(wrong, 401, 4003);
    const weak = await h.call({
      method: 'POST',
      url: '/api/v1/me/password',
      headers: bearer(user.accessToken),
      payload: { current_password: PASSWORD, new_password: 'weak' },
    });
    assertError(weak, 422, 4002, /^new_password: /);
    const changed = await h.call({
      method: 'POST',
      url: '/api/v1/me/password',
      headers: bearer(user.accessToken),
      payload: { current_password: PASSWORD, new_password: 'NewSecurePass456!' },
    });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal(
      (await h.call({ method: 'GET', url: '/api/v1/me', headers: bearer(user.accessToken) })).statusCode,
      200,
    );
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/me', headers: bearer(other.access_token) }),
      401,
      4003,
    );
    await h.login(user.email, 'NewSecurePass456!');
  });

  test('reset: always success, single-use token, revokes all sessions', async () => {
    const user = await h.register();
    const unknown = await h.call({
      method: 'POST',
      url: '/api/v1/auth/password-reset',
      payload: { email: 'nobody@example.com' },
    });
    const known = await h.call({
      method: 'POST',
      url: '/api/v1/auth/password-reset',
      payload: { email: user.email },
    });
    assert.equal(unknown.statusCode, 200);
    assert.equal(known.statusCode, 200);
    assert.deepEqual(unknown.json(), known.json());
    const mail = await h.lastEmail(user.email, 'password_reset');
    const token = mail.token as string;
    assert.deepEqual(decodeJwt(token).permissions, ['password:reset']);
    assert.equal((decodeJwt(token).exp as number) - (decodeJwt(token).iat as number), 3600);
    // A reset token is not an access token.
    assertError(await h.call({ method: 'GET', url: '/api/v1/me', headers: bearer(token) }), 401, 4003);
    const weak = await h.call({
      method: 'POST',
      url: '/api/v1/auth/password-reset/confirm',
      payload: { token, new_password: 'weak' },
    });
    assertError(weak, 422, 4002, /^new_password: /);
    const done = await h.call({
      method: 'POST',
      url: '/api/v1/auth/password-reset/confirm',
      payload: { token, new_password: 'ResetPass789!' },
    });
    assert.equal(done.statusCode, 200, done.body);
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/me', headers: bearer(user.accessToken) }),
      401,
      4003,
    );
    const reuse = await h.call({
      method: 'POST',
      url: '/api/v1/auth/password-reset/confirm',
      payload: { token, new_password: 'ResetPass789!' },
    });
    assertError(reuse, 401, 4003);
    await h.login(user.email, 'ResetPass789!');
    const forged = await h.call({
      method: 'POST',
      url: '/api/v1/auth/password-reset/confirm',
      payload: { token: `${token.slice(0, -4)}AAAA`, new_password: 'ResetPass789!' },
    });
    assertError(forged, 401, 4003);
  });

  test('reset-password HTML form works in a browser', async () => {
    const user = await h.register();
    await h.call({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email: user.email } });
    const token = (await h.lastEmail(user.email, 'password_reset')).token as string;
    const form = await h.app.inject({
      method: 'GET',
      url: `/reset-password?token=${encodeURIComponent(token)}`,
    });
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<form id="reset-password" method="post" action="\/reset-password"/);
    const posted = await h.app.inject({
      method: 'POST',
      url: '/reset-password',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token, new_password: 'FormPass123!' }).toString(),
    });
    assert.equal(posted.statusCode, 200, posted.body);
    assert.match(posted.body, /Password changed/);
    await h.login(user.email, 'FormPass123!');
  });

  test('resend verification never reveals the account', async () => {
    const user = await h.register();
    const before = await h.emailCount(user.email);
    const known = await h.call({
      method: 'POST',
      url: '/api/v1/auth/resend-verification',
      payload: { email: user.email },
    });
    const unknown = await h.call({
      method: 'POST',
      url: '/api/v1/auth/resend-verification',
      payload: { email: 'ghost@example.com' },
    });
    assert.deepEqual(known.json(), unknown.json());
    assert.equal(await h.emailCount(user.email), before + 1);
    assert.equal((await h.lastEmail(user.email, 'email_verification')).is_resend, true);
  });
});

describe('activity feed', () => {
  test('/me/activities is forced to the caller and filters by action and time', async () => {
    const a = await h.register();
    const b = await h.register();
    await h.login(a.email);
    await h.call({ method: 'GET', url: '/api/v1/me', headers: bearer(b.accessToken) });
    const feed = await h.call({
      method: 'GET',
      url: '/api/v1/me/activities',
      headers: bearer(a.accessToken),
    });
    assert.equal(feed.statusCode, 200);
    const data = feed.json().data;
    assert.ok(data.items.length >= 2);
    assert.ok(data.items.every((item: { actor_id: string }) => item.actor_id === a.accountId));
    assert.equal(data.page, 1);
    assert.equal(data.per_page, 20);
    assert.equal(data.total_pages, Math.ceil(data.total / 20));
    const logins = await h.call({
      method: 'GET',
      url: '/api/v1/me/activities?action=auth.login',
      headers: bearer(a.accessToken),
    });
    assert.equal(logins.json().data.total, 1);
    assert.equal(logins.json().data.items[0].action, 'auth.login');
    const future = await h.call({
      method: 'GET',
      url: `/api/v1/me/activities?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      headers: bearer(a.accessToken),
    });
    assert.equal(future.json().data.total, 0);
    const capped = await h.call({
      method: 'GET',
      url: '/api/v1/me/activities?per_page=1000',
      headers: bearer(a.accessToken),
    });
    assert.equal(capped.json().data.per_page, 100);
    assertError(
      await h.call({
        method: 'GET',
        url: '/api/v1/me/activities?since=yesterday',
        headers: bearer(a.accessToken),
      }),
      422,
      4002,
      /^since: /,
    );
  });
});
