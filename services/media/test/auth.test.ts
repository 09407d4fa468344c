import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, generateSigningKey, JwtKeyRing } from '@trustplane/kernel';
import { serviceHarness } from '@trustplane/kernel/testkit';
import { accountKeySource } from '../src/composition.js';
import { loadMediaSettings } from '../src/config.js';
import { createMediaService } from '../src/index.js';
import {
  ALL_PERMISSIONS,
  errorCode,
  type Harness,
  ISSUER,
  multipartBody,
  startHarness,
} from './support/harness.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => h?.close());

const someId = randomUUID();
const upload = multipartBody([{ field: 'file', filename: 'a.txt', type: 'text/plain', data: 'x' }]);

/** Every protected route with the permission it asserts. */
const ROUTES: {
  method: string;
  url: string;
  permission: string;
  payload?: unknown;
  headers?: Record<string, string>;
}[] = [
  {
    method: 'POST',
    url: '/upload',
    permission: 'media:upload',
    payload: upload.payload,
    headers: upload.headers,
  },
  { method: 'GET', url: '/media', permission: 'media:list' },
  {
    method: 'PATCH',
    url: `/media/${someId}`,
    permission: 'media:update',
    payload: { original_name: 'x.txt' },
  },
  {
    method: 'PATCH',
    url: `/media/${someId}/visibility`,
    permission: 'media:update',
    payload: { visibility: 'public' },
  },
  { method: 'DELETE', url: `/media/${someId}`, permission: 'media:delete' },
  { method: 'POST', url: '/folders', permission: 'folder:create', payload: { name: 'x' } },
  { method: 'GET', url: '/folders', permission: 'folder:list' },
  { method: 'PATCH', url: `/folders/${someId}`, permission: 'folder:update', payload: { name: 'y' } },
  { method: 'GET', url: `/folders/${someId}/contents`, permission: 'folder:list' },
  { method: 'DELETE', url: `/folders/${someId}`, permission: 'folder:delete' },
  { method: 'GET', url: '/recent', permission: 'media:list' },
  {
    method: 'POST',
    url: `/media/${someId}/track`,
    permission: 'media:list',
    payload: { access_type: 'view' },
  },
  { method: 'DELETE', url: '/recent', permission: 'media:list' },
  { method: 'POST', url: `/media/${someId}/share`, permission: 'media:download', payload: {} },
  { method: 'GET', url: '/shared-links', permission: 'media:download' },
  { method: 'DELETE', url: `/shared-links/${someId}`, permission: 'media:download' },
  { method: 'GET', url: '/starred', permission: 'media:list' },
  { method: 'POST', url: `/media/${someId}/star`, permission: 'media:list', payload: {} },
  { method: 'DELETE', url: `/media/${someId}/star`, permission: 'media:list' },
  { method: 'POST', url: `/media/${someId}/toggle-star`, permission: 'media:list' },
  { method: 'POST', url: '/starred/check', permission: 'media:list', payload: { media_ids: [] } },
];

async function send(route: (typeof ROUTES)[number], auth: Record<string, string>) {
  return h.call({
    method: route.method,
    url: route.url,
    payload: route.payload as string,
    headers: { ...route.headers, ...auth },
  });
}

describe('authentication and permissions', () => {
  test('/health is public', async () => {
    const response = await h.call({ method: 'GET', url: '/health' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'healthy', service: 'media-service' });
  });

  test('every protected route answers 401 without a token, and with a bad one', async () => {
    // Signed by the real key an hour ago, valid for 15 minutes.
    const pastRing = new JwtKeyRing({
      active: h.account.ring.active,
      clock: () => new Date(Date.now() - 3_600_000),
    });
    const expired = await pastRing.sign(
      { permissions: ['*'], token_use: 'access' },
      { issuer: ISSUER, subject: randomUUID(), expiresInSeconds: 900 },
    );
    const foreignRing = new JwtKeyRing({
      active: await generateSigningKey({ alg: 'RS256', kid: h.account.ring.active.kid }),
    });
    const forged = await foreignRing.sign(
      { permissions: ['*'], token_use: 'access' },
      { issuer: ISSUER, subject: randomUUID(), expiresInSeconds: 600 },
    );
    const cases: [Record<string, string>, string][] = [
      [{}, 'unauthenticated'],
      [{ authorization: 'Basic abc' }, 'invalid_token'],
      [{ authorization: 'Bearer not.a.jwt' }, 'invalid_token'],
      [{ authorization: `Bearer ${expired}` }, 'invalid_token'],
      [{ authorization: `Bearer ${forged}` }, 'invalid_token'],
    ];
    for (const route of ROUTES) {
      for (const [headers, code] of cases) {
        const response = await send(route, headers);
        assert.equal(
          response.statusCode,
          401,
          `${route.method} ${route.url} ${JSON.stringify(headers).slice(0, 40)}`,
        );
        assert.equal(errorCode(response), code);
      }
    }
  });

  test('every protected route answers 403 when the token lacks its permission', async () => {
    for (const route of ROUTES) {
      const others = ALL_PERMISSIONS.filter((permission) => permission !== route.permission);
      const user = await h.user({ permissions: others });
      const response = await send(route, user.auth);
      assert.equal(response.statusCode, 403, `${route.method} ${route.url}`);
      assert.equal(errorCode(response), 'forbidden');
      assert.equal(response.json().error.required_permission, route.permission);
      // The permission alone is enough to get past the check.
      const allowed = await h.user({ permissions: [route.permission] });
      const passed = await send(route, allowed.auth);
      assert.ok(
        passed.statusCode !== 401 && passed.statusCode !== 403,
        `${route.method} ${route.url} ${passed.body}`,
      );
    }
  });

  test('the wildcard permission grants everything', async () => {
    const user = await h.user({ permissions: ['*'] });
    const response = await h.call({ method: 'GET', url: '/media', headers: user.auth });
    assert.equal(response.statusCode, 200);
  });

  test('a token with the wrong issuer is refused', async () => {
    const token = await h.account.ring.sign(
      { permissions: ['*'], org_id: randomUUID(), token_use: 'access' },
      { issuer: 'someone-else', subject: randomUUID(), expiresInSeconds: 600 },
    );
    const response = await h.call({
      method: 'GET',
      url: '/media',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(response.statusCode, 401);
  });

  test('a rotated account key is learned without restart; the previous key keeps verifying', async () => {
    const before = await h.user();
    assert.equal((await h.call({ method: 'GET', url: '/media', headers: before.auth })).statusCode, 200);
    const fetches = h.account.fetches;
    await h.account.rotate();
    const after = await h.user();
    assert.equal((await h.call({ method: 'GET', url: '/media', headers: after.auth })).statusCode, 200);
    assert.equal(h.account.fetches, fetches + 1, 'unknown kid triggered exactly one fetch');
    // Known kids are served from the cache.
    assert.equal((await h.call({ method: 'GET', url: '/media', headers: after.auth })).statusCode, 200);
    assert.equal((await h.call({ method: 'GET', url: '/media', headers: before.auth })).statusCode, 200);
    assert.equal(h.account.fetches, fetches + 1);
  });
});

describe('account unreachable', () => {
  test('an unknown kid that cannot be fetched is 503, not 401', async () => {
    const unreachable = await serviceHarness(
      createMediaService({
        accountServiceUrl: 'http://127.0.0.1:9',
        jwtIssuer: ISSUER,
        keyRefetchIntervalMs: 0,
      }),
      { contract: h.contract },
    );
    try {
      const token = await h.account.token();
      const response = await unreachable.inject({
        method: 'GET',
        url: '/media',
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(response.statusCode, 503);
      assert.equal(errorCode(response), 'auth_unavailable');
      assert.equal(response.headers['retry-after'], '5');
    } finally {
      await unreachable.close();
    }
  });
});

describe('JWT_PUBLIC_KEY_PATH', () => {
  test('verifies tokens against a PEM file instead of fetching', async () => {
    const key = await generateSigningKey({ alg: 'RS256' });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'media-pem-'));
    const file = path.join(dir, 'public_key.pem');
    await fs.writeFile(file, key.publicSpkiPem);
    const fromFile = await serviceHarness(
      createMediaService({
        jwtPublicKeyPath: file,
        accountServiceUrl: 'http://127.0.0.1:9',
        jwtIssuer: ISSUER,
      }),
      { contract: h.contract },
    );
    try {
      const ring = new JwtKeyRing({ active: key });
      const token = await ring.sign(
        { permissions: ['media:list'], org_id: randomUUID(), token_use: 'access' },
        { issuer: ISSUER, subject: randomUUID(), expiresInSeconds: 600 },
      );
      const ok = await fromFile.inject({
        method: 'GET',
        url: '/media',
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(ok.statusCode, 200);
      const other = new JwtKeyRing({ active: await generateSigningKey({ alg: 'RS256' }) });
      const forged = await other.sign(
        { permissions: ['*'], token_use: 'access' },
        { issuer: ISSUER, subject: randomUUID(), expiresInSeconds: 600 },
      );
      const refused = await fromFile.inject({
        method: 'GET',
        url: '/media',
        headers: { authorization: `Bearer ${forged}` },
      });
      assert.equal(refused.statusCode, 401);
    } finally {
      await fromFile.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('where account keys come from', () => {
  test('JWT_PUBLIC_KEY_PATH, else the JWKS of ACCOUNT_SERVICE_URL (https unless loopback), else account on ACCOUNT_PORT locally', () => {
    const settings = (env: Record<string, string>) => loadMediaSettings(env);
    assert.deepEqual(
      accountKeySource(
        settings({ JWT_PUBLIC_KEY_PATH: '/etc/keys/account.pem', ACCOUNT_SERVICE_URL: 'https://a.example' }),
      ),
      { publicKeyFile: '/etc/keys/account.pem' },
    );
    assert.deepEqual(accountKeySource(settings({ ACCOUNT_SERVICE_URL: 'https://account.example.com/' })), {
      jwksUrl: 'https://account.example.com/.well-known/jwks.json',
      refetchIntervalMs: 1000,
    });
    assert.equal(
      (accountKeySource(settings({})) as { jwksUrl: string }).jwksUrl,
      'http://127.0.0.1:8874/.well-known/jwks.json',
      'no public_key.pem in the working directory: account on its default port',
    );
    assert.equal(
      (accountKeySource(settings({ ACCOUNT_PORT: '9123' })) as { jwksUrl: string }).jwksUrl,
      'http://127.0.0.1:9123/.well-known/jwks.json',
      'account started on another port (ACCOUNT_PORT) by the same platform: its keys are there',
    );
    assert.throws(() => settings({ ACCOUNT_PORT: 'eighty' }), ConfigError);
    for (const url of ['http://127.0.0.1:8874', 'http://localhost:8874', 'http://[::1]:8874']) {
      assert.ok(settings({ ACCOUNT_SERVICE_URL: url }));
    }
    assert.throws(
      () => settings({ ACCOUNT_SERVICE_URL: 'http://account.internal:8874' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /ACCOUNT_SERVICE_URL: must use https unless its host is loopback/.test(error.message),
    );
    assert.equal(settings({}).jwtIssuer, 'trustplane-account');
  });
});
