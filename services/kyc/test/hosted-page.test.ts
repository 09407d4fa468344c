import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

describe('hosted flow page', () => {
  it('serves the page at hostedUrl (token only in the fragment) with a strict CSP, and its assets', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk, { returnUrl: 'https://tenant.example/kyc-done' });
    const url = new URL(s.hostedUrl);
    assert.equal(url.pathname, `/verify/${s.sessionId}`);
    assert.equal(new URLSearchParams(url.hash.slice(1)).get('token'), s.token);
    assert.equal(url.search, '');
    const page = await h.app.inject({ method: 'GET', url: url.pathname });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.match(page.body, /\/verify\/assets\/app\.js/);
    for (const asset of ['app.js', 'app.css']) {
      const response = await h.app.inject({ method: 'GET', url: `/verify/assets/${asset}` });
      assert.equal(response.statusCode, 200, asset);
    }
    assert.equal(
      (await h.app.inject({ method: 'GET', url: '/verify/assets/..%2Fpackage.json' })).statusCode,
      404,
    );
  });

  it('hands the page returnUrl?session_id=…&status=… for its own token only', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk, { returnUrl: 'https://tenant.example/kyc-done?ref=9' });
    const response = await h.app.inject({
      method: 'GET',
      url: `/verify/${s.sessionId}/return`,
      headers: { 'x-verification-token': s.token },
    });
    assert.equal(response.statusCode, 200);
    const returnUrl = new URL(response.json().returnUrl);
    assert.equal(returnUrl.searchParams.get('session_id'), s.sessionId);
    assert.equal(returnUrl.searchParams.get('status'), 'pending');
    assert.equal(returnUrl.searchParams.get('ref'), '9');
    const wrong = await h.app.inject({
      method: 'GET',
      url: `/verify/${s.sessionId}/return`,
      headers: { 'x-verification-token': 'nope' },
    });
    assert.equal(wrong.statusCode, 401);
  });
});

describe('CORS for the widget', () => {
  it('session-scoped routes allow any origin (token auth, no cookies); creation does not', async () => {
    const t = await h.tenant();
    const s = await h.session(t.sk);
    const preflight = await h.app.inject({
      method: 'OPTIONS',
      url: `/api/verification/sessions/${s.sessionId}/presign`,
      headers: { origin: 'https://tenant.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], '*');
    assert.match(String(preflight.headers['access-control-allow-headers']), /x-verification-token/);
    const get = await h.call({
      method: 'GET',
      url: `/api/verification/sessions/${s.sessionId}`,
      headers: { origin: 'https://tenant.example', 'x-verification-token': s.token },
    });
    assert.equal(get.headers['access-control-allow-origin'], '*');
    const create = await h.call({
      method: 'POST',
      url: '/api/verification/sessions',
      headers: { authorization: `Bearer ${t.sk}` },
    });
    assert.equal(create.headers['access-control-allow-origin'], undefined);
  });
});
