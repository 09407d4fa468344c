import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '@trustplane/kernel';
import { countPasswordHashes } from '@trustplane/kernel/testkit';
import { loadAccountConfig } from '../src/config.js';
import { assertError, bearer, Harness, PASSWORD, testEnv } from './helpers.js';

// Roomy per-IP windows, so only the brute-force guards stand between the guesses and the hash.
testEnv({ ACCOUNT_LOGIN_MAX_FAILURES: '10' });
let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

describe('login brute force under parallel guesses', () => {
  test('200 parallel wrong passwords: at most ACCOUNT_LOGIN_MAX_FAILURES reach the hash, then locked', async () => {
    const user = await h.register({ ip: '198.51.100.200' });
    const { result: responses, hashes } = await countPasswordHashes(() =>
      Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          h.app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            remoteAddress: '198.51.100.201',
            payload: { email: user.email, password: `Wrong-guess-${i}!` },
          }),
        ),
      ),
    );
    const statuses = responses.map((response) => response.statusCode);
    assert.ok(hashes >= 1 && hashes <= 10, `hashes: ${hashes}`);
    assert.equal(statuses.filter((status) => status === 401).length, hashes);
    assert.equal(statuses.filter((status) => status === 429).length, 200 - hashes);
    assertError(responses.find((response) => response.statusCode === 429)!, 429, 4008);

    // The account is locked: even the right password is refused, without hashing.
    const { result: locked, hashes: lockedHashes } = await countPasswordHashes(() =>
      h.call({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: '198.51.100.202',
        payload: { email: user.email, password: PASSWORD },
      }),
    );
    assertError(locked, 429, 4008);
    assert.equal(lockedHashes, 0);
  });

  test('the current-password check of /me/password counts on the same guard: 200 parallel guesses, at most 10 hashes', async () => {
    const user = await h.register({ ip: '198.51.100.220' });
    const { result: responses, hashes } = await countPasswordHashes(() =>
      Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          h.app.inject({
            method: 'POST',
            url: '/api/v1/me/password',
            remoteAddress: '198.51.100.221',
            headers: bearer(user.accessToken),
            payload: { current_password: `Wrong-guess-${i}!`, new_password: 'Another-Pass-123!' },
          }),
        ),
      ),
    );
    assert.ok(hashes >= 1 && hashes <= 10, `hashes: ${hashes}`);
    const statuses = responses.map((response) => response.statusCode);
    assert.equal(statuses.filter((status) => status === 401).length, hashes);
    assert.equal(statuses.filter((status) => status === 429).length, 200 - hashes);
    // The account is locked for logins as well: it is the same secret.
    const locked = await h.call({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '198.51.100.222',
      payload: { email: user.email, password: PASSWORD },
    });
    assertError(locked, 429, 4008);
  });

  test('a success gives the IP its attempt back: many good logins from one IP never lock it', async () => {
    const user = await h.register({ ip: '198.51.100.210' });
    for (let i = 0; i < 35; i++) await h.login(user.email, PASSWORD, '198.51.100.211');
  });
});

describe('ACCOUNT_TRUST_PROXY', () => {
  test('true (trust every client) is refused at start; an address list or false is taken', () => {
    assert.throws(
      () => loadAccountConfig({ ACCOUNT_TRUST_PROXY: 'true' }, 'http://localhost'),
      (error: unknown) =>
        error instanceof ConfigError &&
        /ACCOUNT_TRUST_PROXY: "true" would trust X-Forwarded-For from any client/.test(error.message) &&
        /TRUSTPLANE_TRUSTED_PROXIES/.test(error.message),
    );
    assert.equal(loadAccountConfig({}, 'http://localhost').trustProxy, undefined);
    assert.equal(loadAccountConfig({ ACCOUNT_TRUST_PROXY: 'false' }, 'http://localhost').trustProxy, false);
    assert.deepEqual(
      loadAccountConfig({ ACCOUNT_TRUST_PROXY: '10.1.0.0/16' }, 'http://localhost').trustProxy,
      ['10.1.0.0/16'],
    );
  });
});
