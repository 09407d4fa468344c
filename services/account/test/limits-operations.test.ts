import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { holdEveryClient } from '@trustplane/kernel/testkit';
import { assertError, Harness, PASSWORD, testEnv } from './helpers.js';

// The seed's default windows (3/min register, 5/min login); a small lockout threshold.
testEnv({
  ACCOUNT_RATE_LIMIT_REGISTER_PER_MINUTE: '3',
  ACCOUNT_RATE_LIMIT_LOGIN_PER_MINUTE: '5',
  ACCOUNT_RATE_LIMIT_VERIFY_PER_MINUTE: '100',
  ACCOUNT_LOGIN_MAX_FAILURES: '3',
  ACCOUNT_LOGIN_FREE_FAILURES: '1',
  ACCOUNT_COOKIE_DOMAIN: '.example.com',
  ACCOUNT_COOKIE_SAMESITE: 'strict',
  ACCOUNT_COOKIE_SECURE: '1',
  ACCOUNT_CSRF_HEADER: 'X-XSRF-Token',
});
let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

describe('rate limits', () => {
  test('register: 3 per minute per IP, then 429 with retry_after/limit/window', async () => {
    for (let i = 0; i < 3; i++) await h.register({ ip: '203.0.113.10' });
    const limited = await h.call({
      method: 'POST',
      url: '/api/v1/auth/register',
      remoteAddress: '203.0.113.10',
      payload: { email: 'late@example.com', password: PASSWORD, display_name: 'Late' },
    });
    assertError(limited, 429, 4008, /Rate limit exceeded/);
    const body = limited.json();
    assert.equal(body.limit, 3);
    assert.equal(body.window, '60s');
    assert.ok(body.retry_after >= 1 && body.retry_after <= 60);
    assert.equal(limited.headers['retry-after'], String(body.retry_after));
    // Another IP is not affected; the limited request created nothing.
    await h.register({ ip: '203.0.113.11', email: 'late@example.com' });
  });

  test('resend-verification shares the register family', async () => {
    const ip = '203.0.113.20';
    for (let i = 0; i < 3; i++) {
      const ok = await h.call({
        method: 'POST',
        url: '/api/v1/auth/resend-verification',
        remoteAddress: ip,
        payload: { email: 'a@b.co' },
      });
      assert.equal(ok.statusCode, 200);
    }
    assertError(
      await h.call({
        method: 'POST',
        url: '/api/v1/auth/resend-verification',
        remoteAddress: ip,
        payload: { email: 'a@b.co' },
      }),
      429,
      4008,
    );
  });

  test('login: 5 per minute per IP', async () => {
    const ip = '203.0.113.30';
    for (let i = 0; i < 5; i++) {
      const response = await h.call({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: ip,
        payload: { email: `nobody${i}@example.com`, password: 'Wrong123!x' },
      });
      assert.equal(response.statusCode, 401);
    }
    const limited = await h.call({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: ip,
      payload: { email: 'nobody@example.com', password: 'Wrong123!x' },
    });
    assertError(limited, 429, 4008);
    assert.equal(limited.json().limit, 5);
  });
});

describe('brute force', () => {
  test('per-account lockout refuses even the right password, from any IP', async () => {
    const user = await h.register({ ip: '198.51.100.1' });
    for (let i = 0; i < 3; i++) {
      const response = await h.call({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: `198.51.100.${10 + i}`,
        payload: { email: user.email, password: 'Wrong123!x' },
      });
      assert.ok([401, 429].includes(response.statusCode));
    }
    const locked = await h.call({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '198.51.100.99',
      payload: { email: user.email, password: PASSWORD },
    });
    assertError(locked, 429, 4008);
    assert.ok(locked.json().retry_after >= 1);
    // A password reset clears the account lockout.
    await h.call({
      method: 'POST',
      url: '/api/v1/auth/password-reset',
      remoteAddress: '198.51.100.98',
      payload: { email: user.email },
    });
    const token = (await h.lastEmail(user.email, 'password_reset')).token as string;
    const reset = await h.call({
      method: 'POST',
      url: '/api/v1/auth/password-reset/confirm',
      remoteAddress: '198.51.100.98',
      payload: { token, new_password: 'Unlocked123!' },
    });
    assert.equal(reset.statusCode, 200, reset.body);
    await h.login(user.email, 'Unlocked123!', '198.51.100.97');
  });
});

describe('cookie configuration', () => {
  test('Domain, SameSite, Secure and the CSRF header name come from the environment', async () => {
    const user = await h.register({ ip: '192.0.2.50' });
    for (const name of ['refresh_token', 'csrf_token']) {
      const cookie = user.cookies.find((entry) => entry.name === name)!;
      assert.equal(cookie.domain, '.example.com');
      assert.equal(cookie.sameSite, 'Strict');
      assert.equal(cookie.secure, true);
    }
    const csrf = user.cookies.find((entry) => entry.name === 'csrf_token')!.value;
    const refresh = user.cookies.find((entry) => entry.name === 'refresh_token')!.value;
    const cookies = { csrf_token: csrf, refresh_token: refresh };
    assertError(
      await h.call({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        remoteAddress: '192.0.2.51',
        cookies,
        headers: { 'x-csrf-token': csrf },
      }),
      403,
      4030,
    );
    const ok = await h.call({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      remoteAddress: '192.0.2.51',
      cookies,
      headers: { 'x-xsrf-token': csrf },
    });
    assert.equal(ok.statusCode, 200, ok.body);
  });
});

describe('operations', () => {
  test('/health, /health/detailed, /metrics with the seed counters', async () => {
    const health = await h.call({ method: 'GET', url: '/health' });
    assert.deepEqual(health.json(), { status: 'ok' });
    const detailed = await h.call({ method: 'GET', url: '/health/detailed' });
    assert.equal(detailed.statusCode, 200);
    const body = detailed.json();
    assert.equal(body.status, 'ok');
    assert.equal(body.dependencies.postgres.status, 'ok');
    assert.equal(body.dependencies.redis.status, 'not_configured');
    assert.equal(body.dependencies.rabbitmq.status, 'not_configured');
    // A pool with every client taken is load: still ready, and the pool is named busy.
    const { pool } = h.booted.context.database();
    const release = await holdEveryClient(pool);
    try {
      const busy = await h.call({ method: 'GET', url: '/health/detailed' });
      assert.equal(busy.statusCode, 200);
      assert.equal(busy.json().status, 'ok');
      assert.equal(busy.json().dependencies.postgres.status, 'ok');
      assert.equal(busy.json().dependencies.postgres.pool.busy, true);
    } finally {
      release();
    }
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /http_requests_total\{[^}]*route="\/api\/v1\/auth\/login"/);
    assert.match(metrics.body, /account_brute_force_events_total\{[^}]*event="failure"/);
    assert.match(metrics.body, /account_rate_limit_rejections_total\{[^}]*limiter="register"/);
    assert.match(metrics.body, /account_rate_limit_checks_total/);
  });

  test('unknown routes and oversize bodies answer in the envelope', async () => {
    assertError(await h.app.inject({ method: 'GET', url: '/api/v1/nope' }), 404, 4004);
    const big = await h.call({
      method: 'POST',
      url: '/api/v1/auth/verify',
      remoteAddress: '192.0.2.200',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ token: 'x'.repeat(2_000_000) }),
    });
    assertError(big, 400, 4000);
  });
});
