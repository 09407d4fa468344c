// account and media as two processes of one deployment (two platforms, one database): every way
// account revokes access reaches media within a second, through the kernel's revocation list.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { accountService } from '@trustplane/account';
import {
  type BootedService,
  bootService,
  createTestDatabase,
  type TestDatabase,
} from '@trustplane/kernel/testkit';
import { createMediaService } from '@trustplane/media';
import { decodeJwt } from 'jose';

// Cheap argon2 and roomy per-IP windows: this file is about revocation, not abuse limits.
const ACCOUNT_ENV = {
  ACCOUNT_PASSWORD_HASH_MEMORY_KIB: '4096',
  ACCOUNT_PASSWORD_HASH_TIME_COST: '1',
  ACCOUNT_RATE_LIMIT_REGISTER_PER_MINUTE: '10000',
  ACCOUNT_RATE_LIMIT_LOGIN_PER_MINUTE: '10000',
  ACCOUNT_RATE_LIMIT_GENERAL_PER_MINUTE: '100000',
  ACCOUNT_LOGIN_BASE_DELAY_MS: '1',
  ACCOUNT_LOGIN_MAX_DELAY_MS: '5',
};

const PASSWORD = 'SecurePass123!';
/** The promise under test: a revocation is honoured by media within this. */
const PROPAGATION_MS = 1000;

let database: TestDatabase;
let account: BootedService;
let media: BootedService;
/** `email.requested` payloads by recipient, as the notification service would receive them. */
const mail = new Map<string, Record<string, unknown>[]>();

before(async () => {
  database = await createTestDatabase('account_media');
  account = await bootService(accountService, { database, workers: true, env: ACCOUNT_ENV });
  await account.app.listen({ port: 0, host: '127.0.0.1' });
  const accountUrl = `http://127.0.0.1:${(account.app.server.address() as AddressInfo).port}`;
  // The mail account sends leaves through the bus, as any consumer of `account.events` sees it.
  await account.context.bus.subscribe(
    'account.events',
    'email.requested',
    async (message) => {
      const payload = message.payload as Record<string, unknown>;
      const to = String(payload.to);
      mail.set(to, [...(mail.get(to) ?? []), payload]);
    },
    { queue: 'test.mail-capture' },
  );
  media = await bootService(createMediaService({ accountServiceUrl: accountUrl, keyRefetchIntervalMs: 0 }), {
    database,
  });
});
after(async () => {
  await media?.close();
  await account?.close();
  await database?.drop();
});

async function mailFor(to: string, template: string): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const found = (mail.get(to) ?? []).filter((payload) => payload.template === template).at(-1);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no ${template} mail for ${to}`);
}

async function accountCall(method: string, url: string, options: { token?: string; payload?: unknown } = {}) {
  return account.app.inject({
    method: method as 'GET',
    url,
    remoteAddress: '10.1.0.1',
    ...(options.token ? { headers: { authorization: `Bearer ${options.token}` } } : {}),
    ...(options.payload === undefined ? {} : { payload: options.payload as Record<string, unknown> }),
  });
}

interface Session {
  accessToken: string;
  refreshToken: string;
  sid: string;
}

async function login(email: string, password = PASSWORD): Promise<Session> {
  const response = await accountCall('POST', '/api/v1/auth/login', { payload: { email, password } });
  assert.equal(response.statusCode, 200, response.body);
  const data = response.json().data;
  return {
    accessToken: data.access_token,
    refreshToken: data.refresh_token,
    sid: String(decodeJwt(data.access_token).sid),
  };
}

/** Registers through account's routes, verifies with the mailed token, logs in: full permissions. */
async function verifiedUser(): Promise<{ email: string; session: Session }> {
  const email = `user-${randomUUID().slice(0, 8)}@example.com`;
  const registered = await accountCall('POST', '/api/v1/auth/register', {
    payload: { email, password: PASSWORD, display_name: 'Ada Lovelace' },
  });
  assert.equal(registered.statusCode, 201, registered.body);
  const verification = await mailFor(email, 'email_verification');
  const verified = await account.app.inject({
    method: 'GET',
    url: `/verify-email?token=${encodeURIComponent(String(verification.token))}`,
  });
  assert.equal(verified.statusCode, 200, verified.body);
  return { email, session: await login(email) };
}

const listMedia = (token: string) =>
  media.app.inject({ method: 'GET', url: '/media', headers: { authorization: `Bearer ${token}` } });

/** Asks media until it refuses the token or the propagation budget is spent; returns the last answer. */
async function mediaAnswerAfterRevocation(token: string) {
  const deadline = Date.now() + PROPAGATION_MS;
  let response = await listMedia(token);
  while (response.statusCode === 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    response = await listMedia(token);
  }
  return response;
}

function assertRevokedAtMedia(response: Awaited<ReturnType<typeof listMedia>>, what: string) {
  assert.equal(response.statusCode, 401, `${what}: ${response.body}`);
  assert.equal(response.json().error.code, 'invalid_token');
  assert.match(response.json().error.message, /revoked/);
}

describe('account revocations reach media within a second', () => {
  test('logout', async () => {
    const { session } = await verifiedUser();
    assert.equal((await listMedia(session.accessToken)).statusCode, 200);
    const logout = await accountCall('POST', '/api/v1/auth/logout', { token: session.accessToken });
    assert.equal(logout.statusCode, 200, logout.body);
    assert.equal(
      (await accountCall('GET', '/api/v1/auth/whoami', { token: session.accessToken })).statusCode,
      401,
    );
    assertRevokedAtMedia(await mediaAnswerAfterRevocation(session.accessToken), 'logout');
  });

  test('logout-all ends the other sessions too', async () => {
    const { email, session } = await verifiedUser();
    const other = await login(email);
    assert.equal((await listMedia(other.accessToken)).statusCode, 200);
    const response = await accountCall('POST', '/api/v1/auth/logout-all', { token: session.accessToken });
    assert.equal(response.statusCode, 200, response.body);
    assertRevokedAtMedia(await mediaAnswerAfterRevocation(other.accessToken), 'logout-all (other session)');
    assertRevokedAtMedia(await mediaAnswerAfterRevocation(session.accessToken), 'logout-all (own session)');
  });

  test('revoking one session from another', async () => {
    const { email, session } = await verifiedUser();
    const laptop = await login(email);
    assert.equal((await listMedia(laptop.accessToken)).statusCode, 200);
    const response = await accountCall('DELETE', `/api/v1/me/sessions/${laptop.sid}`, {
      token: session.accessToken,
    });
    assert.equal(response.statusCode, 200, response.body);
    assertRevokedAtMedia(await mediaAnswerAfterRevocation(laptop.accessToken), 'session revoke');
    assert.equal((await listMedia(session.accessToken)).statusCode, 200, 'the revoking session lives on');
  });

  test('refresh-token reuse kills the session: its current access token too', async () => {
    const { session } = await verifiedUser();
    const rotated = await accountCall('POST', '/api/v1/auth/refresh', {
      payload: { refresh_token: session.refreshToken },
    });
    assert.equal(rotated.statusCode, 200, rotated.body);
    const current = rotated.json().data.access_token as string;
    assert.equal((await listMedia(current)).statusCode, 200);
    // A stolen copy of the first refresh token is replayed.
    const replay = await accountCall('POST', '/api/v1/auth/refresh', {
      payload: { refresh_token: session.refreshToken },
    });
    assert.equal(replay.statusCode, 401, replay.body);
    assertRevokedAtMedia(await mediaAnswerAfterRevocation(current), 'refresh reuse');
  });

  test('changing the password ends every other session; the one that changed it stays', async () => {
    const { email, session } = await verifiedUser();
    const stolen = await login(email);
    assert.equal((await listMedia(stolen.accessToken)).statusCode, 200);
    const changed = await accountCall('POST', '/api/v1/me/password', {
      token: session.accessToken,
      payload: { current_password: PASSWORD, new_password: 'AnotherPass456!' },
    });
    assert.equal(changed.statusCode, 200, changed.body);
    assertRevokedAtMedia(await mediaAnswerAfterRevocation(stolen.accessToken), 'password change');
    assert.equal((await listMedia(session.accessToken)).statusCode, 200);
  });

  test('a password reset ends every session', async () => {
    const { email, session } = await verifiedUser();
    const requested = await accountCall('POST', '/api/v1/auth/password-reset', { payload: { email } });
    assert.equal(requested.statusCode, 200, requested.body);
    const reset = await mailFor(email, 'password_reset');
    const confirmed = await accountCall('POST', '/api/v1/auth/password-reset/confirm', {
      payload: { token: reset.token, new_password: 'ResetPass789!' },
    });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    assertRevokedAtMedia(await mediaAnswerAfterRevocation(session.accessToken), 'password reset');
  });
});

describe('media takes only access tokens', () => {
  test("account's refresh and password-reset tokens are refused as bearer and by share links", async () => {
    const { email, session } = await verifiedUser();
    const upload = await media.app.inject({
      method: 'POST',
      url: '/upload?visibility=private',
      headers: {
        authorization: `Bearer ${session.accessToken}`,
        'content-type': 'multipart/form-data; boundary=b',
      },
      payload:
        '--b\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n',
    });
    assert.equal(upload.statusCode, 201, upload.body);
    const link = await media.app.inject({
      method: 'POST',
      url: `/media/${upload.json().id}/share`,
      headers: { authorization: `Bearer ${session.accessToken}` },
      payload: { visibility: 'restricted' },
    });
    assert.equal(link.statusCode, 201, link.body);
    const shareUrl = `/share/${link.json().token}`;
    await accountCall('POST', '/api/v1/auth/password-reset', { payload: { email } });
    const resetToken = String((await mailFor(email, 'password_reset')).token);
    for (const [what, token] of [
      ['refresh token', session.refreshToken],
      ['password-reset token', resetToken],
    ] as const) {
      const listed = await listMedia(token);
      assert.equal(listed.statusCode, 401, `${what}: ${listed.body}`);
      assert.match(listed.json().error.message, /Only access tokens/);
      const shared = await media.app.inject({
        method: 'GET',
        url: shareUrl,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(shared.statusCode, 401, `${what} at the share link: ${shared.body}`);
    }
    const owner = await media.app.inject({
      method: 'GET',
      url: shareUrl,
      headers: { authorization: `Bearer ${session.accessToken}` },
    });
    assert.equal(owner.statusCode, 200, owner.body);
  });
});
