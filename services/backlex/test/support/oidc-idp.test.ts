import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { type OidcIdp, startOidcIdp } from './oidc-idp.js';

let idp: OidcIdp;
before(async () => {
  idp = await startOidcIdp();
});
after(async () => idp?.close());

async function codeFlow(redirectUri: string) {
  const client = await idp.registerClient([redirectUri]);
  const discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as {
    authorization_endpoint: string;
    token_endpoint: string;
    jwks_uri: string;
  };
  const verifier = randomBytes(32).toString('base64url');
  const authorization = new URL(discovery.authorization_endpoint);
  authorization.search = new URLSearchParams({
    client_id: client.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid email profile',
    state: 'state-1',
    nonce: 'nonce-1',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const callback = await idp.completeAuthorization(authorization.toString());
  assert.equal(`${callback.origin}${callback.pathname}`, redirectUri);
  assert.equal(callback.searchParams.get('state'), 'state-1');
  const code = callback.searchParams.get('code');
  assert.ok(code, callback.toString());
  const token = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }),
  });
  assert.equal(token.status, 200);
  const { id_token: idToken } = (await token.json()) as { id_token: string };
  const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
    issuer: idp.issuer,
    audience: client.clientId,
  });
  assert.equal(payload.nonce, 'nonce-1');
  return payload;
}

test('an authorization-code flow with PKCE completes for the chosen account without a browser', async () => {
  idp.signInAs('ada@acme.test', { name: 'Ada' });
  const claims = await codeFlow('http://127.0.0.1:9/callback');
  assert.equal(claims.sub, 'ada@acme.test');
  assert.equal(claims.email, 'ada@acme.test');
  assert.equal(claims.email_verified, true);
  assert.equal(claims.name, 'Ada');
});

test('the next flow signs in whichever account the test chose, with the claims it set', async () => {
  idp.signInAs('mallory', { email: 'mallory@evil.test' });
  const claims = await codeFlow('http://127.0.0.1:9/other');
  assert.equal(claims.sub, 'mallory');
  assert.equal(claims.email, 'mallory@evil.test');
});
