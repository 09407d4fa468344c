import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertError, bearer, Harness, testEnv } from './helpers.js';

// The general per-IP cap (seed "Rate limits" card): every route without a family of its own.
testEnv({ ACCOUNT_RATE_LIMIT_GENERAL_PER_MINUTE: '5' });
let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => h?.close());

describe('general per-IP cap', () => {
  test('the sixth request of a minute from one IP is 429/4008 with Retry-After; another IP and /health are not held', async () => {
    const user = await h.register({ ip: '198.51.100.200' });
    const ip = '198.51.100.7';
    const whoami = (remoteAddress: string) =>
      h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(user.accessToken), remoteAddress });
    // Refused requests count too: a caller without credentials spends the same points.
    assert.equal((await h.call({ method: 'GET', url: '/api/v1/me', remoteAddress: ip })).statusCode, 401);
    for (let i = 0; i < 4; i++) assert.equal((await whoami(ip)).statusCode, 200);
    const limited = await whoami(ip);
    assertError(limited, 429, 4008, /Rate limit exceeded/);
    const body = limited.json();
    assert.equal(body.limit, 5);
    assert.equal(body.window, '60s');
    assert.ok(body.retry_after >= 1 && body.retry_after <= 60);
    assert.equal(limited.headers['retry-after'], String(body.retry_after));
    assert.equal((await whoami('198.51.100.8')).statusCode, 200);
    const health = await h.call({ method: 'GET', url: '/health', remoteAddress: ip });
    assert.equal(health.statusCode, 200);
  });
});
