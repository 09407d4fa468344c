import assert from 'node:assert/strict';
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader, generateKeyPair, importPKCS8, SignJWT } from 'jose';
import { openSecret } from '@trustplane/kernel';
import { createSigningKeyStore, signingKeySealingKey } from '../src/auth/key-store.js';
import type { AccountDB } from '../src/db/types.js';
import { accountService } from '../src/index.js';
import { assertError, bearer, Harness, testEnv } from './helpers.js';

testEnv();
let h: Harness;
before(async () => {
  h = await Harness.boot();
});
after(async () => {
  await h?.close();
});

async function publicKey() {
  const response = await h.call({ method: 'GET', url: '/api/v1/auth/public-key' });
  assert.equal(response.statusCode, 200);
  return response.json().data as {
    key_id: string;
    algorithm: string;
    public_key: string;
    expires_at: number;
  };
}

async function activePrivateKey() {
  const { rows } = await h.booted.context
    .database()
    .pool.query('SELECT kid, private_enc FROM account.signing_keys WHERE active');
  const pem = openSecret(signingKeySealingKey(h.booted.context.signingSecret), rows[0].private_enc);
  return { kid: rows[0].kid as string, key: await importPKCS8(pem, 'RS256'), pem };
}

function b64(value: unknown) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('signing keys', () => {
  test('public key, private key encrypted at rest', async () => {
    const key = await publicKey();
    assert.equal(key.algorithm, 'RS256');
    assert.match(key.public_key, /^-----BEGIN PUBLIC KEY-----/);
    assert.ok(key.expires_at > Date.now() / 1000 + 89 * 86_400);
    const { rows } = await h.booted.context
      .database()
      .pool.query('SELECT private_enc FROM account.signing_keys');
    assert.ok(rows.every((row: { private_enc: string }) => !row.private_enc.includes('PRIVATE KEY')));
    const jwks = await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    assert.equal(jwks.json().keys[0].kid, key.key_id);
  });

  test('forged tokens are refused: alg none, HS256 with the public key, foreign key, expired', async () => {
    const user = await h.register();
    const { kid, key } = await activePrivateKey();
    const claims = {
      sub: user.accountId,
      sid: '11111111-1111-4111-8111-111111111111',
      org_id: user.orgId,
      permissions: ['*'],
      organizations: [],
      principal_type: 'human',
      token_use: 'access',
      jti: 'forged',
      iss: 'trustplane-account',
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 600,
    };
    const none = `${b64({ alg: 'none', kid, typ: 'JWT' })}.${b64(claims)}.`;
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(none) }),
      401,
      4003,
    );
    const pem = (await publicKey()).public_key;
    const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(Buffer.from(pem));
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(hs256) }),
      401,
      4003,
    );
    const foreign = await generateKeyPair('RS256');
    const foreignToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .sign(foreign.privateKey);
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(foreignToken) }),
      401,
      4003,
    );
    const expired = await new SignJWT({ ...claims, iat: claims.iat - 7200, exp: claims.iat - 3600 })
      .setProtectedHeader({ alg: 'RS256', kid })
      .sign(key);
    assertError(
      await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(expired) }),
      401,
      4003,
      /expired/,
    );
    // Control: the same claims signed properly are accepted.
    const genuine = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
    assert.equal(
      (await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(genuine) })).statusCode,
      200,
    );
  });

  test('rotate-key: the new key signs, the previous one still verifies', async () => {
    const user = await h.register();
    const before = await publicKey();
    assert.equal(decodeProtectedHeader(user.accessToken).kid, before.key_id);
    const command = accountService.commands!.find((entry) => entry.path.join(' ') === 'rotate-key')!;
    const result = await command.run(h.booted.context, { json: true });
    assert.equal(result.previous_key_id, before.key_id);
    assert.notEqual(result.key_id, before.key_id);
    // The running app learns the rotation from the NOTIFY; wait for it (no timing asserted).
    let after = await publicKey();
    for (let attempt = 0; attempt < 100 && after.key_id === before.key_id; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await publicKey();
    }
    assert.equal(after.key_id, result.key_id);
    // Old token (old kid) still verifies; new tokens carry the new kid.
    assert.equal(
      (await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(user.accessToken) }))
        .statusCode,
      200,
    );
    const refreshed = await h.call({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: user.refreshToken },
    });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    assert.equal(decodeProtectedHeader(refreshed.json().data.access_token).kid, result.key_id);
    const jwks = await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    assert.deepEqual(
      jwks
        .json()
        .keys.map((key: { kid: string }) => key.kid)
        .sort(),
      [before.key_id, result.key_id].sort(),
    );
    // --revoke-previous (key compromise): the key that signed these tokens stops verifying.
    const fresh = await h.register();
    assert.equal(decodeProtectedHeader(fresh.accessToken).kid, result.key_id);
    const second = await command.run(h.booted.context, { json: true, revokePrevious: true });
    assert.equal(second.previous_key_id, result.key_id);
    let status = 200;
    for (let attempt = 0; attempt < 100 && status === 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (
        await h.app.inject({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(fresh.accessToken) })
      ).statusCode;
    }
    assert.equal(status, 401);
    // Retired keys past their horizon are pruned: their private key material is gone.
    const { pruneExpired } = await import('../src/jobs/prune.js');
    const { createRepositories } = await import('../src/db/repositories.js');
    const deleted = await pruneExpired(createRepositories(h.booted.context.database<AccountDB>().kysely));
    assert.ok((deleted.signing_keys ?? 0) >= 1);
    const { rows } = await h.booted.context.database().pool.query('SELECT kid FROM account.signing_keys');
    assert.ok(!rows.some((row: { kid: string }) => row.kid === result.key_id));
  });

  test('a key stored in the format before sealSecret still signs after an upgrade, and is resealed', async () => {
    const pool = h.booted.context.database().pool;
    const { kid, pem } = await activePrivateKey();
    // What earlier versions wrote: AES-256-GCM under an HKDF key, iv || tag || ciphertext, base64.
    const legacyKey = Buffer.from(
      hkdfSync('sha256', h.booted.context.signingSecret, 'trustplane-account', 'jwt-signing-keys', 32),
    );
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', legacyKey, iv);
    const body = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
    const legacy = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    await pool.query('UPDATE account.signing_keys SET private_enc = $2 WHERE kid = $1', [kid, legacy]);

    // A process starting on that table (the service's own store, as `npm start` builds it) loads it.
    const upgraded = createSigningKeyStore(pool, h.booted.context.signingSecret, h.booted.context.logger);
    await upgraded.load();
    assert.equal(upgraded.active.kid, kid);
    const token = await upgraded.ring.sign(
      { token_use: 'access' },
      { expiresInSeconds: 60, issuer: 'trustplane-account' },
    );
    assert.equal(decodeProtectedHeader(token).kid, kid);
    const { rows } = await pool.query('SELECT private_enc FROM account.signing_keys WHERE kid = $1', [kid]);
    assert.match(rows[0].private_enc, /^v1\./);
    assert.equal(openSecret(signingKeySealingKey(h.booted.context.signingSecret), rows[0].private_enc), pem);
  });
});
