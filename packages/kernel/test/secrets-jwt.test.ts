import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { decodeProtectedHeader, SignJWT } from 'jose';
import {
  generateSigningKey,
  importSigningKey,
  importVerificationKey,
  JwtKeyRing,
  type SigningKey,
  TokenError,
  type TokenErrorReason,
  verifyJwt,
} from '../src/secrets/index.js';

const ISSUER = 'https://account.trustplane.test';
const HOUR_MS = 3_600_000;

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function rejectsWith(
  promise: Promise<unknown>,
  reason: TokenErrorReason,
  claim?: string,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TokenError, String(error));
    assert.equal(error.reason, reason, error.message);
    if (claim !== undefined) assert.equal(error.claim, claim);
    return true;
  });
}

describe('jwt', () => {
  let rsa: SigningKey;
  let ring: JwtKeyRing;

  before(async () => {
    rsa = await generateSigningKey({ alg: 'RS256', kid: 'key-2026-03-01-v1' });
    ring = new JwtKeyRing({ active: rsa });
  });

  test('signs with kid, iat, exp and a random jti, and verifies', async () => {
    const token = await ring.sign(
      { org_id: 'org-1', permissions: ['media:upload'] },
      { expiresInSeconds: 900, issuer: ISSUER, subject: 'user-1', audience: 'media' },
    );
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'RS256', kid: 'key-2026-03-01-v1', typ: 'JWT' });
    const { payload, kid, alg } = await ring.verify<{ org_id: string; permissions: string[] }>(token, {
      issuer: ISSUER,
      audience: 'media',
    });
    assert.equal(kid, 'key-2026-03-01-v1');
    assert.equal(alg, 'RS256');
    assert.equal(payload.sub, 'user-1');
    assert.equal(payload.org_id, 'org-1');
    assert.deepEqual(payload.permissions, ['media:upload']);
    assert.equal(payload.exp! - payload.iat!, 900);
    assert.match(payload.jti!, /^[0-9a-f-]{36}$/);
    const other = await ring.sign({}, { expiresInSeconds: 60, issuer: ISSUER });
    const { payload: otherPayload } = await ring.verify(other, { issuer: ISSUER });
    assert.notEqual(otherPayload.jti, payload.jti);
  });

  test('options win over same-named claims, and an explicit jti is kept', async () => {
    const token = await ring.sign(
      { iss: 'https://evil.test', exp: 9_999_999_999 },
      { expiresInSeconds: 60, issuer: ISSUER, jti: 'session-42' },
    );
    const { payload } = await ring.verify(token, { issuer: ISSUER });
    assert.equal(payload.iss, ISSUER);
    assert.equal(payload.jti, 'session-42');
    assert.equal(payload.exp! - payload.iat!, 60);
  });

  test('ES256 and EdDSA keys sign and verify too', async () => {
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const key = await generateSigningKey({ alg });
      const keyRing = new JwtKeyRing({ active: key });
      const token = await keyRing.sign({ n: 1 }, { expiresInSeconds: 60, issuer: ISSUER });
      const verified = await keyRing.verify(token, { issuer: ISSUER });
      assert.equal(verified.alg, alg);
      assert.equal(verified.payload.n, 1);
    }
  });

  test('an expired token is refused', async () => {
    const past = new JwtKeyRing({ active: rsa, clock: () => new Date(Date.now() - 2 * HOUR_MS) });
    const token = await past.sign({}, { expiresInSeconds: 60, issuer: ISSUER });
    await rejectsWith(ring.verify(token, { issuer: ISSUER }), 'expired', 'exp');
  });

  test('a wrong issuer or audience is refused', async () => {
    const token = await ring.sign({}, { expiresInSeconds: 60, issuer: ISSUER, audience: 'media' });
    await rejectsWith(ring.verify(token, { issuer: 'https://other.test' }), 'claim', 'iss');
    await rejectsWith(ring.verify(token, { issuer: ISSUER, audience: 'kyc' }), 'claim', 'aud');
  });

  test('a tampered payload is refused', async () => {
    const token = await ring.sign({ role: 'member' }, { expiresInSeconds: 60, issuer: ISSUER });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = `${header}.${b64({ ...claims, role: 'owner' })}.${signature}`;
    await rejectsWith(ring.verify(forged, { issuer: ISSUER }), 'invalid_signature');
  });

  test('a token signed by a key outside the ring, or naming no kid, is refused', async () => {
    const stranger = new JwtKeyRing({ active: await generateSigningKey({ alg: 'RS256', kid: 'stranger' }) });
    await rejectsWith(
      ring.verify(await stranger.sign({}, { expiresInSeconds: 60, issuer: ISSUER }), { issuer: ISSUER }),
      'unknown_key',
    );
    const noKid = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(rsa.privateKey);
    await rejectsWith(ring.verify(noKid, { issuer: ISSUER }), 'unknown_key');
  });

  test('an unsigned `alg: none` token is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64({ alg: 'none', kid: rsa.kid, typ: 'JWT' });
    const payload = b64({ iss: ISSUER, sub: 'admin', iat: now, exp: now + 60 });
    await rejectsWith(ring.verify(`${header}.${payload}.`, { issuer: ISSUER }), 'algorithm');
    await rejectsWith(ring.verify(`${header}.${payload}`, { issuer: ISSUER }), 'malformed');
  });

  test('HS256 signed with the public key PEM as HMAC secret is refused (key confusion)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const signingInput = `${b64({ alg: 'HS256', kid: rsa.kid, typ: 'JWT' })}.${b64({ iss: ISSUER, iat: now, exp: now + 60 })}`;
    for (const secret of [rsa.publicSpkiPem, rsa.publicSpkiPem.trim()]) {
      const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
      await rejectsWith(ring.verify(`${signingInput}.${signature}`, { issuer: ISSUER }), 'algorithm');
    }
  });

  test("a token whose alg is not its key's own is refused even when that alg is accepted", async () => {
    const ec = await generateSigningKey({ alg: 'ES256', kid: 'ec-key' });
    const mixed = new JwtKeyRing({ active: rsa, previous: [ec] });
    const lying = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: rsa.kid })
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(ec.privateKey);
    await rejectsWith(mixed.verify(lying, { issuer: ISSUER }), 'algorithm');
    await rejectsWith(mixed.verify(lying, { issuer: ISSUER, algorithms: ['RS256'] }), 'algorithm');
  });

  test('a token without exp is refused', async () => {
    const eternal = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: rsa.kid })
      .setIssuer(ISSUER)
      .setIssuedAt()
      .sign(rsa.privateKey);
    await rejectsWith(ring.verify(eternal, { issuer: ISSUER }), 'claim', 'exp');
  });

  test('garbage is malformed', async () => {
    for (const token of ['', 'abc', 'a.b.c', `${b64({ alg: 'RS256', kid: rsa.kid })}`]) {
      await rejectsWith(ring.verify(token, { issuer: ISSUER }), 'malformed');
    }
    // The signature is checked before the payload is even decoded.
    await rejectsWith(
      ring.verify(`${b64({ alg: 'RS256', kid: rsa.kid })}.%%%.xyz`, { issuer: ISSUER }),
      'invalid_signature',
    );
  });

  test('rotation: the new key signs, tokens of the previous key verify until it retires', async () => {
    let now = Date.now();
    const rotating = new JwtKeyRing({ active: rsa, clock: () => new Date(now) });
    const oldToken = await rotating.sign({}, { expiresInSeconds: 7200, issuer: ISSUER });
    const next = await generateSigningKey({ alg: 'RS256', kid: 'key-2026-06-01-v2' });
    rotating.rotate(next, { retireAt: new Date(now + HOUR_MS) });

    const newToken = await rotating.sign({}, { expiresInSeconds: 60, issuer: ISSUER });
    assert.equal(decodeProtectedHeader(newToken).kid, 'key-2026-06-01-v2');
    assert.equal(rotating.active.kid, 'key-2026-06-01-v2');
    assert.equal((await rotating.verify(oldToken, { issuer: ISSUER })).kid, rsa.kid);
    assert.equal((await rotating.verify(newToken, { issuer: ISSUER })).kid, 'key-2026-06-01-v2');

    const jwks = rotating.jwks();
    assert.deepEqual(
      jwks.keys.map((key) => key.kid),
      ['key-2026-06-01-v2', rsa.kid],
    );
    for (const key of jwks.keys) {
      assert.equal(key.use, 'sig');
      assert.equal(key.alg, 'RS256');
      assert.equal(key.d, undefined, 'no private parts in the JWKS');
    }

    now += HOUR_MS + 1000;
    await rejectsWith(rotating.verify(oldToken, { issuer: ISSUER }), 'unknown_key');
    assert.deepEqual(
      rotating.jwks().keys.map((key) => key.kid),
      ['key-2026-06-01-v2'],
    );
    assert.throws(() => rotating.rotate(next, { retireAt: new Date(now) }), /own kid/);
  });

  test('stored PEMs import back into a working key; a mismatched pair is refused', async () => {
    const imported = await importSigningKey(rsa.privatePkcs8Pem, rsa.publicSpkiPem, 'RS256', rsa.kid);
    const token = await new JwtKeyRing({ active: imported }).sign(
      {},
      { expiresInSeconds: 60, issuer: ISSUER },
    );
    assert.equal((await ring.verify(token, { issuer: ISSUER })).kid, rsa.kid);
    assert.deepEqual(imported.publicJwk, rsa.publicJwk);

    const other = await generateSigningKey({ alg: 'RS256' });
    await assert.rejects(
      importSigningKey(rsa.privatePkcs8Pem, other.publicSpkiPem, 'RS256', 'x'),
      /not a pair/,
    );
  });

  test('a downstream service verifies with the public PEM alone', async () => {
    const token = await ring.sign({ permissions: ['folder:list'] }, { expiresInSeconds: 60, issuer: ISSUER });
    const publicOnly = await importVerificationKey(rsa.publicSpkiPem, 'RS256', rsa.kid);
    const { payload } = await verifyJwt<{ permissions: string[] }>(token, [publicOnly], { issuer: ISSUER });
    assert.deepEqual(payload.permissions, ['folder:list']);
  });
});
