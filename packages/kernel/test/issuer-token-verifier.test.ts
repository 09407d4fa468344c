import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import pino from 'pino';
import {
  assertJwksUrl,
  IssuerKeysUnavailableError,
  IssuerTokenVerifier,
  isLoopbackHost,
} from '../src/auth/issuer-token-verifier.js';
import { RevocationList } from '../src/auth/revocation-list.js';
import { createDatabase, createPool } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { generateSigningKey, JwtKeyRing, TokenError, type TokenErrorReason } from '../src/secrets/index.js';
import { createRedisClient } from '../src/ratelimit/redis-client.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';
import { hasRedisServer, startRedisServer } from '../src/testkit/external-servers.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const migrations = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'migrations');
const ISSUER = 'trustplane-account';
/** The promise under test: a revocation committed in one process is honoured by another within this. */
const PROPAGATION_MS = 1000;

/** Verifies until the verifier refuses the token or the budget is spent; the last outcome. */
async function refusedWithin(check: IssuerTokenVerifier, token: string): Promise<unknown> {
  const deadline = Date.now() + PROPAGATION_MS;
  for (;;) {
    try {
      await check.verify(token);
    } catch (error) {
      return error;
    }
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function rejectsWith(promise: Promise<unknown>, reason: TokenErrorReason, claim?: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TokenError, String(error));
    assert.equal(error.reason, reason, error.message);
    if (claim !== undefined) assert.equal(error.claim, claim);
    return true;
  });
}

/** An issuer publishing its ring as a JWKS, as account's `/.well-known/jwks.json` does. */
class JwksServer {
  fetches = 0;
  up = true;
  private constructor(
    public ring: JwtKeyRing,
    private readonly server: http.Server,
  ) {}

  static async start(): Promise<JwksServer> {
    const ring = new JwtKeyRing({ active: await generateSigningKey({ alg: 'RS256' }) });
    let self: JwksServer | undefined;
    const server = http.createServer((_request, response) => {
      if (!self!.up) {
        response.writeHead(503).end();
        return;
      }
      self!.fetches++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(self!.ring.jwks()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new JwksServer(ring, server);
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  sign(claims: Record<string, unknown>, options: { issuer?: string; expiresInSeconds?: number } = {}) {
    return this.ring.sign(
      { token_use: 'access', sid: randomUUID(), ...claims },
      {
        issuer: options.issuer ?? ISSUER,
        subject: 'user-1',
        expiresInSeconds: options.expiresInSeconds ?? 900,
      },
    );
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('IssuerTokenVerifier', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let revocations: RevocationList;
  let issuer: JwksServer;
  const verifiers: IssuerTokenVerifier[] = [];

  function verifier(options: { refetchIntervalMs?: number } = {}): IssuerTokenVerifier {
    const created = new IssuerTokenVerifier({
      issuer: ISSUER,
      keys: { jwksUrl: issuer.url, refetchIntervalMs: options.refetchIntervalMs ?? 0 },
      revocations,
      logger,
    });
    verifiers.push(created);
    return created;
  }

  before(async () => {
    database = await createTestDatabase('issuer_verifier');
    await migrate(database.url, 'platform', migrations);
    pool = createPool({ url: database.url, schema: 'platform', max: 2 });
    revocations = new RevocationList({ pool, logger });
    await revocations.start();
    issuer = await JwksServer.start();
  });
  after(async () => {
    for (const created of verifiers) created.close();
    await issuer.close();
    await revocations.stop();
    await pool.end();
    await database.drop();
  });

  test('an access token of the issuer verifies; sid, jti and claims come out', async () => {
    const sid = randomUUID();
    const token = await issuer.sign({ sid, org_id: 'org-1', permissions: ['*'] });
    const verified = await verifier().verify(token);
    assert.equal(verified.sub, 'user-1');
    assert.equal(verified.sid, sid);
    assert.match(verified.jti, /^[0-9a-f-]{36}$/);
    assert.equal(verified.claims.org_id, 'org-1');
  });

  test('a service token (nil sid) names no session', async () => {
    const token = await issuer.sign({ sid: '00000000-0000-0000-0000-000000000000' });
    assert.equal((await verifier().verify(token)).sid, null);
  });

  test('refresh and password-reset tokens, or tokens without token_use, are refused', async () => {
    const check = verifier();
    for (const tokenUse of ['refresh', 'password_reset', undefined]) {
      await rejectsWith(check.verify(await issuer.sign({ token_use: tokenUse })), 'claim', 'token_use');
    }
  });

  test('another issuer, an expired token, or a token without jti are refused', async () => {
    const check = verifier();
    await rejectsWith(check.verify(await issuer.sign({}, { issuer: 'someone-else' })), 'claim', 'iss');
    const key = issuer.ring.active;
    const now = Math.floor(Date.now() / 1000);
    const { SignJWT } = await import('jose');
    const expired = await new SignJWT({ token_use: 'access', jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(ISSUER)
      .setSubject('user-1')
      .setIssuedAt(now - 3600)
      .setExpirationTime(now - 60)
      .sign(key.privateKey);
    await rejectsWith(check.verify(expired), 'expired');
    const noJti = await new SignJWT({ token_use: 'access' })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(ISSUER)
      .setSubject('user-1')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(key.privateKey);
    await rejectsWith(check.verify(noJti), 'claim', 'jti');
  });

  test('forged tokens are refused: alg none, HS256 keyed with the public key, a foreign key', async () => {
    const check = verifier();
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: ISSUER, sub: 'user-1', jti: randomUUID(), token_use: 'access', exp: now + 60 };
    const kid = issuer.ring.active.kid;
    await rejectsWith(check.verify(`${b64({ alg: 'none', kid })}.${b64(claims)}.`), 'algorithm');
    const { createHmac } = await import('node:crypto');
    const input = `${b64({ alg: 'HS256', kid })}.${b64(claims)}`;
    const mac = createHmac('sha256', issuer.ring.active.publicSpkiPem).update(input).digest('base64url');
    await rejectsWith(check.verify(`${input}.${mac}`), 'algorithm');
    const foreign = new JwtKeyRing({ active: await generateSigningKey({ alg: 'RS256', kid }) });
    const forged = await foreign.sign(
      { token_use: 'access' },
      { issuer: ISSUER, subject: 'user-1', expiresInSeconds: 60 },
    );
    await rejectsWith(check.verify(forged), 'invalid_signature');
    await rejectsWith(check.verify('not-a-token'), 'malformed');
  });

  test('a revoked token or session is refused, even when it was verified (and cached) before', async () => {
    const check = verifier();
    const sid = randomUUID();
    const token = await issuer.sign({ sid });
    const { jti } = await check.verify(token);
    const other = await issuer.sign({ sid });
    await check.verify(other);
    const byToken = await revocations.record(pool, [
      { kind: 'token', id: jti, until: new Date(Date.now() + 60_000) },
    ]);
    revocations.announce(byToken);
    await rejectsWith(check.verify(token), 'revoked');
    await check.verify(other);
    revocations.announce(
      await revocations.record(pool, [{ kind: 'session', id: sid, until: new Date(Date.now() + 60_000) }]),
    );
    await rejectsWith(check.verify(other), 'revoked');
  });

  test('a repeated token is verified once and then served from memory', async () => {
    const check = verifier();
    const token = await issuer.sign({});
    await check.verify(token);
    const fetches = issuer.fetches;
    issuer.up = false;
    try {
      for (let i = 0; i < 5; i++) await check.verify(token);
    } finally {
      issuer.up = true;
    }
    assert.equal(issuer.fetches, fetches);
  });

  test('key rotation: a new kid is fetched, the previous key keeps verifying while published', async () => {
    const check = verifier();
    const before = await issuer.sign({});
    await check.verify(before);
    issuer.ring.rotate(await generateSigningKey({ alg: 'RS256' }), {
      retireAt: new Date(Date.now() + 3_600_000),
    });
    const afterRotation = await issuer.sign({});
    await check.verify(afterRotation);
    await check.verify(await issuer.sign({}));
  });

  test('a key the issuer withdraws stops verifying at the next refresh, cached tokens included', async () => {
    issuer.ring = new JwtKeyRing({ active: await generateSigningKey({ alg: 'RS256' }) });
    const check = verifier();
    const token = await issuer.sign({});
    await check.verify(token);
    // Compromise: the issuer drops the key at once (`rotate-key --revoke-previous`).
    issuer.ring = new JwtKeyRing({ active: await generateSigningKey({ alg: 'RS256' }) });
    await check.refreshKeys();
    await rejectsWith(check.verify(token), 'unknown_key');
  });

  test('the issuer unreachable: known keys keep verifying, an unknown kid is "unavailable", not forged', async () => {
    const check = verifier();
    await check.verify(await issuer.sign({}));
    const known = await issuer.sign({});
    issuer.up = false;
    try {
      await check.refreshKeys();
      await check.verify(known);
      const stranger = new JwtKeyRing({ active: await generateSigningKey({ alg: 'RS256' }) });
      const unknownKid = await stranger.sign(
        { token_use: 'access' },
        { issuer: ISSUER, subject: 'user-1', expiresInSeconds: 60 },
      );
      await assert.rejects(check.verify(unknownKid), IssuerKeysUnavailableError);
    } finally {
      issuer.up = true;
    }
  });

  test('a PEM file verifies whatever kid a token names, and is re-read when replaced', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'issuer-pem-'));
    try {
      const file = path.join(dir, 'public_key.pem');
      await fs.writeFile(file, issuer.ring.active.publicSpkiPem);
      const check = new IssuerTokenVerifier({ issuer: ISSUER, keys: { publicKeyFile: file }, revocations });
      await check.verify(await issuer.sign({}));
      const next = await generateSigningKey({ alg: 'RS256' });
      issuer.ring = new JwtKeyRing({ active: next });
      await rejectsWith(check.verify(await issuer.sign({})), 'invalid_signature');
      await fs.writeFile(file, next.publicSpkiPem);
      const future = new Date(Date.now() + 5000);
      await fs.utimes(file, future, future);
      await check.verify(await issuer.sign({}));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  describe('two processes: each its own pool, revocation list and verifier', () => {
    async function processVerifier(options: { listen?: boolean; redisUrl?: string } = {}) {
      const ownPool = createPool({ url: database.url, schema: 'platform', max: 2 });
      const redis = options.redisUrl ? createRedisClient(options.redisUrl) : undefined;
      const list = new RevocationList({
        pool: ownPool,
        logger,
        reloadIntervalMs: 10 * 60_000,
        ...(options.listen === false ? { listen: false } : {}),
        ...(redis ? { redis } : {}),
      });
      await list.start();
      const check = new IssuerTokenVerifier({
        issuer: ISSUER,
        keys: { jwksUrl: issuer.url, refetchIntervalMs: 0 },
        revocations: list,
      });
      return {
        list,
        check,
        async close() {
          check.close();
          await list.stop();
          redis?.disconnect();
          await ownPool.end();
        },
      };
    }

    test('a session revoked in the issuing process is refused by the other within a second (NOTIFY)', async () => {
      const issuing = await processVerifier();
      const trusting = await processVerifier();
      const issuerDb = createDatabase({ url: database.url, schema: 'issuer' });
      try {
        const sid = randomUUID();
        const token = await issuer.sign({ sid });
        await trusting.check.verify(token);
        // The issuer's own transaction; only the NOTIFY on commit can tell the other process.
        await issuerDb.transaction((trx) =>
          issuing.list.record(trx, [{ kind: 'session', id: sid, until: new Date(Date.now() + 60_000) }]),
        );
        const error = await refusedWithin(trusting.check, token);
        assert.ok(error instanceof TokenError && error.reason === 'revoked', String(error));
      } finally {
        await issuing.close();
        await trusting.close();
        await issuerDb.close();
      }
    });

    test('with Redis, a process that cannot LISTEN refuses it within a second too', {
      skip: hasRedisServer() ? false : 'redis-server is not installed (apt-get install redis-server)',
    }, async () => {
      const redisServer = await startRedisServer();
      const issuing = await processVerifier({ redisUrl: redisServer.url });
      const trusting = await processVerifier({ redisUrl: redisServer.url, listen: false });
      const issuerDb = createDatabase({ url: database.url, schema: 'issuer' });
      try {
        const token = await issuer.sign({});
        const { jti } = await trusting.check.verify(token);
        const recorded = await issuerDb.transaction((trx) =>
          issuing.list.record(trx, [{ kind: 'token', id: jti, until: new Date(Date.now() + 60_000) }]),
        );
        issuing.list.announce(recorded);
        const error = await refusedWithin(trusting.check, token);
        assert.ok(error instanceof TokenError && error.reason === 'revoked', String(error));
      } finally {
        await issuing.close();
        await trusting.close();
        await issuerDb.close();
        await redisServer.stop();
      }
    });
  });

  test('the JWKS URL must be https unless its host is loopback', () => {
    for (const url of [
      'https://account.example.com/.well-known/jwks.json',
      'http://127.0.0.1:8874/.well-known/jwks.json',
      'http://localhost:8874/.well-known/jwks.json',
      'http://[::1]:8874/.well-known/jwks.json',
    ]) {
      assert.ok(assertJwksUrl(url));
    }
    for (const url of [
      'http://account.example.com/.well-known/jwks.json',
      'http://10.0.0.5/.well-known/jwks.json',
      'http://127.0.0.1.example.com/jwks',
      'ftp://127.0.0.1/jwks',
      'not a url',
    ]) {
      assert.throws(() => assertJwksUrl(url), TypeError, url);
    }
    assert.throws(
      () =>
        new IssuerTokenVerifier({
          issuer: ISSUER,
          keys: { jwksUrl: 'http://account.internal/.well-known/jwks.json' },
          revocations,
        }),
      /https/,
    );
    assert.equal(isLoopbackHost('127.8.9.10'), true);
    assert.equal(isLoopbackHost('::ffff:127.0.0.1'), true);
    assert.equal(isLoopbackHost('192.168.1.1'), false);
  });
});
