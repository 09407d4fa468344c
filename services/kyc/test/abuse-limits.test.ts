import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { countPasswordHashes, seedPath } from '@trustplane/kernel/testkit';
import type { LightMyRequestResponse } from 'fastify';
import { kycService } from '../src/index.js';
import { Harness, PASSWORD } from './helpers.js';

// Small per-IP windows, so each family's limit is reached in a few requests. Setup through the
// helpers comes from 127.0.0.1 (7 operators in this file); every test counts from addresses of its own.
const LIMIT = { signup: 8, login: 8, sessions: 5, uploads: 6, liveness: 5 };
let h: Harness;
before(async () => {
  h = await Harness.boot({
    env: {
      KYC_LOGIN_MAX_FAILURES: '10',
      KYC_RATE_LIMIT_SIGNUP_PER_MINUTE: String(LIMIT.signup),
      KYC_RATE_LIMIT_LOGIN_PER_MINUTE: String(LIMIT.login),
      KYC_RATE_LIMIT_SESSIONS_PER_MINUTE: String(LIMIT.sessions),
      KYC_RATE_LIMIT_UPLOADS_PER_MINUTE: String(LIMIT.uploads),
      KYC_RATE_LIMIT_LIVENESS_PER_MINUTE: String(LIMIT.liveness),
    },
  });
});
after(async () => {
  await h?.close();
});

function assertRateLimited(response: LightMyRequestResponse, limit: number) {
  assert.equal(response.statusCode, 429, response.body);
  const body = response.json();
  assert.deepEqual(Object.keys(body).sort(), ['error', 'message', 'ok']);
  assert.equal(body.ok, false);
  assert.equal(body.error, 'RATE_LIMITED');
  const retryAfter = Number(response.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 60, String(response.headers['retry-after']));
  assert.equal(response.headers['x-ratelimit-limit'], String(limit));
  assert.equal(response.headers['x-ratelimit-remaining'], '0');
}

const login = (remoteAddress: string, email: string, password: string, headers = {}) =>
  h.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    remoteAddress,
    headers,
    payload: { email, password },
  });

describe('operator login under parallel guesses', () => {
  it('200 parallel wrong passwords (from 200 addresses): at most KYC_LOGIN_MAX_FAILURES reach argon2', async () => {
    const { email } = await h.operator();
    const { result: responses, hashes } = await countPasswordHashes(() =>
      Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          login(`10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`, email, `wrong password ${i}`),
        ),
      ),
    );
    assert.ok(hashes >= 1 && hashes <= 10, `argon2 verifications: ${hashes}`);
    for (const response of responses) {
      assert.equal(response.statusCode, 401, response.body);
      assert.equal(response.json().error, 'INVALID_CREDENTIALS');
    }
    // Locked: the right password is refused as well, with Retry-After and without hashing.
    const { result: locked, hashes: lockedHashes } = await countPasswordHashes(() =>
      h.call({ method: 'POST', url: '/api/auth/login', payload: { email, password: PASSWORD } }),
    );
    assert.equal(locked.statusCode, 401);
    assert.ok(Number(locked.headers['retry-after']) > 0);
    assert.equal(locked.cookies.length, 0);
    assert.equal(lockedHashes, 0);
  });
});

describe('per-IP limits', () => {
  it('login: the limit per IP, then 429 RATE_LIMITED with Retry-After; X-Forwarded-For does not move the count', async () => {
    const ip = '192.0.2.10';
    for (let i = 0; i < LIMIT.login; i++) {
      const response = await login(ip, `nobody-${randomUUID()}@example.com`, 'wrong password');
      assert.equal(response.statusCode, 401, response.body);
      assert.equal(response.headers['x-ratelimit-remaining'], String(LIMIT.login - 1 - i));
    }
    assertRateLimited(await login(ip, `nobody-${randomUUID()}@example.com`, 'wrong password'), LIMIT.login);
    // No proxy is trusted: a forged X-Forwarded-For is still counted as the socket's address.
    const spoofed = await login(ip, `nobody-${randomUUID()}@example.com`, 'wrong password', {
      'x-forwarded-for': '198.51.100.77',
    });
    assertRateLimited(spoofed, LIMIT.login);
    // Another client is not affected.
    const other = await login('192.0.2.11', `nobody-${randomUUID()}@example.com`, 'wrong password');
    assert.equal(other.statusCode, 401);
    // A refused login checked nothing: the real operator can still sign in from elsewhere.
    const { email } = await h.operator();
    const { result: refused, hashes } = await countPasswordHashes(() => login(ip, email, PASSWORD));
    assertRateLimited(refused, LIMIT.login);
    assert.equal(hashes, 0);
  });

  it('signup: the limit per IP, then 429 and nothing is created', async () => {
    const ip = '192.0.2.20';
    const signup = (email: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/auth/signup',
        remoteAddress: ip,
        payload: { fullName: 'Flood', email, password: PASSWORD, acceptedTerms: true },
      });
    for (let i = 0; i < LIMIT.signup; i++) {
      assert.equal((await signup(`flood-${randomUUID()}@example.com`)).statusCode, 201);
    }
    const email = `flood-${randomUUID()}@example.com`;
    assertRateLimited(await signup(email), LIMIT.signup);
    const row = await h.kyc.database.kysely
      .selectFrom('users')
      .select('id')
      .where('email', '=', email)
      .executeTakeFirst();
    assert.equal(row, undefined);
  });

  it('session creation: counted before the API key is checked, 429 creates no session', async () => {
    const t = await h.tenant();
    const create = (remoteAddress: string, authorization: string) =>
      h.app.inject({
        method: 'POST',
        url: '/api/verification/sessions',
        remoteAddress,
        headers: { authorization },
      });
    const count = async () =>
      Number(
        (
          await h.kyc.database.kysely
            .selectFrom('verification_sessions')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('organization_id', '=', t.organizationId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    for (let i = 0; i < LIMIT.sessions; i++) {
      assert.equal((await create('192.0.2.30', `Bearer ${t.sk}`)).statusCode, 201);
    }
    assertRateLimited(await create('192.0.2.30', `Bearer ${t.sk}`), LIMIT.sessions);
    assert.equal(await count(), LIMIT.sessions);
    // Unauthenticated floods are cut the same way, before any key lookup.
    for (let i = 0; i < LIMIT.sessions; i++) {
      assert.equal((await create('192.0.2.31', 'Bearer sk_test_nope')).statusCode, 401);
    }
    assertRateLimited(await create('192.0.2.31', 'Bearer sk_test_nope'), LIMIT.sessions);
  });

  it('presign and upload-complete share the uploads window', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk);
    await h.chooseType(s.sessionId, s.token, 'passport');
    const presign = () =>
      h.app.inject({
        method: 'POST',
        url: `/api/verification/sessions/${s.sessionId}/presign`,
        remoteAddress: '192.0.2.40',
        payload: { token: s.token, side: 'single', contentType: 'image/jpeg', byteSize: 10 },
      });
    for (let i = 0; i < LIMIT.uploads - 1; i++) assert.equal((await presign()).statusCode, 200);
    const complete = await h.app.inject({
      method: 'POST',
      url: `/api/verification/sessions/${s.sessionId}/upload-complete`,
      remoteAddress: '192.0.2.40',
      payload: {
        token: s.token,
        side: 'single',
        s3Key: `sessions/${s.sessionId}/uploads/single/missing.jpg`,
        contentType: 'image/jpeg',
        byteSize: 10,
        sha256: 'a'.repeat(64),
      },
    });
    assert.equal(complete.statusCode, 400, complete.body);
    assertRateLimited(await presign(), LIMIT.uploads);
  });

  it('liveness calls: the limit per IP, then 429', async () => {
    const t = await h.tenant();
    const s = await h.completedCapture(t.sk);
    const init = () =>
      h.app.inject({
        method: 'POST',
        url: `/api/verification/sessions/${s.sessionId}/liveness/init`,
        remoteAddress: '192.0.2.50',
        headers: { 'x-verification-token': s.token },
      });
    for (let i = 0; i < LIMIT.liveness; i++) assert.equal((await init()).statusCode, 201);
    assertRateLimited(await init(), LIMIT.liveness);
    const complete = await h.app.inject({
      method: 'POST',
      url: `/api/verification/sessions/${s.sessionId}/liveness/complete`,
      remoteAddress: '192.0.2.50',
      payload: { token: s.token },
    });
    assertRateLimited(complete, LIMIT.liveness);
  });

  it('polling is never limited', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk);
    for (let i = 0; i < 20; i++) {
      const response = await h.app.inject({
        method: 'GET',
        url: `/api/verification/sessions/${s.sessionId}`,
        remoteAddress: '192.0.2.60',
        headers: { 'x-verification-token': s.token },
      });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['x-ratelimit-limit'], undefined);
    }
  });
});

describe('RATE_LIMITED is a documented extension', () => {
  it('is absent from the seed, documented in the README, and in the OpenAPI 429 of limited routes only', async () => {
    const seed = await readFile(seedPath(kycService), 'utf8');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    assert.ok(!seed.includes('"RATE_LIMITED"'));
    assert.ok(readme.includes('`RATE_LIMITED`'));
    const paths = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths as Record<
      string,
      Record<string, { responses: Record<string, unknown> }>
    >;
    const with429 = Object.entries(paths)
      .flatMap(([path, methods]) =>
        Object.entries(methods)
          .filter(([, operation]) => operation.responses?.['429'])
          .map(([method]) => `${method.toUpperCase()} ${path}`),
      )
      .sort();
    assert.deepEqual(with429, [
      'POST /api/auth/login',
      'POST /api/auth/signup',
      'POST /api/verification/sessions',
      'POST /api/verification/sessions/{sessionId}/liveness/complete',
      'POST /api/verification/sessions/{sessionId}/liveness/init',
      'POST /api/verification/sessions/{sessionId}/liveness/presign-video',
      'POST /api/verification/sessions/{sessionId}/presign',
      'POST /api/verification/sessions/{sessionId}/upload-complete',
    ]);
  });
});
