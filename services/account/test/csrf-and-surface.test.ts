import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertError, bearer, contract, Harness, testEnv } from './helpers.js';

testEnv();
let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

describe('CSRF gate matrix', () => {
  test('active only for cookie-carrying mutations without Authorization / X-API-Key', async () => {
    const user = await h.register();
    const csrf = user.cookies.find((cookie) => cookie.name === 'csrf_token')!.value;
    const url = `/api/v1/organizations/${user.orgId}/leave`;
    const cookies = { csrf_token: csrf };
    // 1. Mutating + cookie + no auth header + no/ wrong header → 4030.
    assertError(await h.call({ method: 'POST', url, cookies }), 403, 4030, /Invalid CSRF token/);
    assertError(
      await h.call({ method: 'POST', url, cookies, headers: { 'x-csrf-token': `${csrf}x` } }),
      403,
      4030,
    );
    // Matching header passes the gate (then fails authentication: no credentials).
    assertError(await h.call({ method: 'POST', url, cookies, headers: { 'x-csrf-token': csrf } }), 401, 4003);
    // 2. Authorization present → exempt (reaches the handler: owner cannot leave).
    assertError(await h.call({ method: 'POST', url, cookies, headers: bearer(user.accessToken) }), 422, 4002);
    // 3. X-API-Key present → exempt (fails on the key itself).
    assertError(
      await h.call({ method: 'POST', url, cookies, headers: { 'x-api-key': 'ak_live_nope' } }),
      401,
      4003,
    );
    // 4. No csrf cookie → exempt.
    assertError(await h.call({ method: 'POST', url }), 401, 4003);
    // Safe methods are never gated.
    assert.equal(
      (await h.call({ method: 'GET', url: '/api/v1/me', cookies, headers: bearer(user.accessToken) }))
        .statusCode,
      200,
    );
    for (const method of ['PUT', 'DELETE'] as const) {
      assertError(await h.call({ method, url: `/api/v1/organizations/${user.orgId}`, cookies }), 403, 4030);
    }
  });
});

describe('surface', () => {
  test('every seed operation of the account sections is served', async () => {
    const missing = contract
      .operations()
      .filter(
        (operation) =>
          !h.app.hasRoute({
            method: operation.method as 'GET',
            url: operation.template.replace(/\{(\w+)\}/g, ':$1'),
          }),
      )
      .map((operation) => `${operation.method} ${operation.template}`);
    assert.deepEqual(missing, []);
  });

  test('OpenAPI document lists the routes with their schemas', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.statusCode, 200);
    const paths = Object.keys(response.json().paths);
    for (const path of [
      '/api/v1/auth/login',
      '/api/v1/organizations/{org_id}/roles',
      '/api/v1/service-accounts/{account_id}/api-keys',
    ]) {
      assert.ok(paths.includes(path), path);
    }
  });
});
