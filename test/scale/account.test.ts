// account on two instances sharing PostgreSQL and Redis: a session made on one works on the other,
// a revocation made on one is honoured by both within a second, and abuse limits count the
// attempts of both instances together.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { call, clientIp, sleep } from './support/http.js';
import { scaleLane } from './support/topology.js';

const { skip, lane } = await scaleLane();
const PASSWORD = 'SecurePass123!';
/** The promise under test: a logout is honoured by every instance within this. */
const PROPAGATION_MS = 1000;

const instance = (index: 1 | 2) => lane.instances[index - 1]!.urls.account!;

async function register(ip: string): Promise<{ email: string; accessToken: string; refreshToken: string }> {
  const email = `scale-${randomUUID().slice(0, 8)}@example.com`;
  const response = await call(lane.balancer.account!, 'POST', '/api/v1/auth/register', {
    clientIp: ip,
    body: { email, password: PASSWORD, display_name: 'Scale Tester' },
  });
  assert.equal(response.status, 201, response.text);
  return {
    email,
    accessToken: response.body.data.access_token,
    refreshToken: response.body.data.refresh_token,
  };
}

const login = (base: string, email: string, password: string, ip: string) =>
  call(base, 'POST', '/api/v1/auth/login', { clientIp: ip, body: { email, password } });

const whoami = (index: 1 | 2, token: string) =>
  call(instance(index), 'GET', '/api/v1/auth/whoami', { token });

describe('account across two instances', () => {
  test('log in on one instance, refresh on the other; logout on one → the access token is refused on both within 1 s', {
    skip,
  }, async () => {
    const ip = clientIp();
    const { email } = await register(ip);
    const loggedIn = await login(instance(1), email, PASSWORD, ip);
    assert.equal(loggedIn.status, 200, loggedIn.text);
    const refreshed = await call(instance(2), 'POST', '/api/v1/auth/refresh', {
      clientIp: ip,
      body: { refresh_token: loggedIn.body.data.refresh_token },
    });
    assert.equal(refreshed.status, 200, refreshed.text);
    const token = refreshed.body.data.access_token as string;
    assert.equal((await whoami(1, token)).status, 200);
    assert.equal((await whoami(2, token)).status, 200);
    // The first refresh token was rotated on instance 2: replaying it on instance 1 is refused.
    const replay = await call(instance(1), 'POST', '/api/v1/auth/refresh', {
      clientIp: ip,
      body: { refresh_token: loggedIn.body.data.refresh_token },
    });
    assert.equal(replay.status, 401, replay.text);

    // A fresh session for the logout half (the replay above ended the first one).
    const session = await login(instance(2), email, PASSWORD, ip);
    assert.equal(session.status, 200, session.text);
    const access = session.body.data.access_token as string;
    assert.equal((await whoami(1, access)).status, 200);
    const logout = await call(instance(1), 'POST', '/api/v1/auth/logout', { token: access, clientIp: ip });
    assert.equal(logout.status, 200, logout.text);
    const deadline = Date.now() + PROPAGATION_MS;
    const answers = { 1: 200, 2: 200 };
    while (Date.now() < deadline && (answers[1] !== 401 || answers[2] !== 401)) {
      answers[1] = (await whoami(1, access)).status;
      answers[2] = (await whoami(2, access)).status;
      if (answers[1] !== 401 || answers[2] !== 401) await sleep(10);
    }
    assert.deepEqual(answers, { 1: 401, 2: 401 }, 'refused by both instances within a second');
  });

  test('the per-IP login limit holds across both instances together', { skip }, async () => {
    const ip = clientIp();
    const { email } = await register(clientIp());
    // 5 logins a minute per IP (the seed's default): alternating instances, the sixth is refused.
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      statuses.push((await login(instance(attempt % 2 === 0 ? 1 : 2), email, PASSWORD, ip)).status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    // Through the balancer too: the window is the same one.
    assert.equal((await login(lane.balancer.account!, email, PASSWORD, ip)).status, 429);
  });

  test('failed logins on both instances add up to one lockout, which refuses the right password on both', {
    skip,
  }, async () => {
    const { email } = await register(clientIp());
    // ACCOUNT_LOGIN_MAX_FAILURES (10) wrong passwords, each from its own IP so that no per-IP
    // window interferes, alternating instances: five on each.
    for (let attempt = 0; attempt < 10; attempt++) {
      const response = await login(instance(attempt % 2 === 0 ? 1 : 2), email, 'WrongPass123!', clientIp());
      assert.equal(response.status, 401, `attempt ${attempt + 1}: ${response.text}`);
    }
    for (const index of [1, 2] as const) {
      const response = await login(instance(index), email, PASSWORD, clientIp());
      assert.equal(response.status, 429, `instance ${index}: ${response.text}`);
      assert.ok(
        Number(response.body.data?.retry_after ?? response.headers.get('retry-after')) > 0,
        response.text,
      );
    }
  });
});
