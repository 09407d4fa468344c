import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ConfigError, loadPlatformConfig } from '../src/config/platform-config.js';
import { createRateLimiter } from '../src/ratelimit/index.js';
import { Platform } from '../src/runtime/platform.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';
import { nodeScriptArgs } from '../src/testkit/node-script.js';
import { type ExternalServer, hasRedisServer, startRedisServer } from '../src/testkit/external-servers.js';

describe('platform', () => {
  let database: TestDatabase;
  let dataDir: string;
  before(async () => {
    database = await createTestDatabase('platform');
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-platform-'));
  });
  after(async () => {
    await database.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const open = (env: Record<string, string> = {}) =>
    Platform.open({
      config: loadPlatformConfig({
        LOG_LEVEL: 'silent',
        DATABASE_URL: database.url,
        TRUSTPLANE_DATA_DIR: dataDir,
        ...env,
      }),
      role: 'test',
    });

  test('per-service secrets differ between services and survive a restart', async () => {
    const first = await open();
    const kyc = first.serviceSecret('kyc');
    assert.equal(kyc.length, 32);
    assert.notDeepEqual(kyc, first.serviceSecret('media'));
    await first.close();
    const second = await open();
    assert.deepEqual(second.serviceSecret('kyc'), kyc);
    await second.close();
    const stat = await fs.stat(path.join(dataDir, 'signing.secret'));
    assert.equal(stat.mode & 0o077, 0, 'the platform secret is readable by its owner only');
  });

  test('a configured signing secret replaces the generated one', async () => {
    const platform = await open({ TRUSTPLANE_SIGNING_SECRET: 'x'.repeat(40) });
    const other = await open();
    assert.notDeepEqual(platform.serviceSecret('kyc'), other.serviceSecret('kyc'));
    await platform.close();
    await other.close();
  });

  test('processes starting together on a fresh data dir all get the same secret', async () => {
    const fresh = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-secret-race-'));
    const script = fileURLToPath(new URL('./support/print-platform-secret.ts', import.meta.url));
    try {
      const outputs = await Promise.all(
        Array.from({ length: 6 }, () =>
          promisify(execFile)(process.execPath, [...nodeScriptArgs(script), fresh], { encoding: 'utf8' }),
        ),
      );
      const secrets = new Set(outputs.map((output) => output.stdout.trim()));
      assert.equal(secrets.size, 1, `one secret for all: ${[...secrets].join(', ')}`);
      const [secret] = secrets;
      assert.equal(secret?.length, 64, '32 bytes');
      const written = Buffer.from(
        (await fs.readFile(path.join(fresh, 'signing.secret'), 'utf8')).trim(),
        'base64url',
      );
      assert.equal(written.toString('hex'), secret, 'the file holds the secret every process read');
      assert.deepEqual(await fs.readdir(fresh), ['signing.secret'], 'no temporary file is left behind');
      assert.equal((await fs.stat(path.join(fresh, 'signing.secret'))).mode & 0o077, 0);
    } finally {
      await fs.rm(fresh, { recursive: true, force: true });
    }
  });

  test('a secret file shorter than 32 bytes, empty or not base64url stops the start with a clear error', async () => {
    for (const content of ['', Buffer.alloc(31, 7).toString('base64url'), 'not base64 at all!']) {
      const broken = await fs.mkdtemp(path.join(os.tmpdir(), 'trustplane-secret-short-'));
      await fs.writeFile(path.join(broken, 'signing.secret'), content, { mode: 0o600 });
      try {
        await assert.rejects(
          Platform.open({
            config: loadPlatformConfig({
              LOG_LEVEL: 'silent',
              DATABASE_URL: database.url,
              TRUSTPLANE_DATA_DIR: broken,
            }),
            role: 'test',
          }),
          (error: unknown) =>
            error instanceof ConfigError &&
            /signing\.secret: the platform signing secret must be base64url of at least 32 bytes/.test(
              error.message,
            ),
        );
        assert.equal(
          await fs.readFile(path.join(broken, 'signing.secret'), 'utf8'),
          content,
          'the file is left for the operator, never replaced',
        );
      } finally {
        await fs.rm(broken, { recursive: true, force: true });
      }
    }
  });

  test('rate limits are shared through PostgreSQL by default', async () => {
    const platform = await open();
    await platform.migrate([]);
    const store = platform.rateLimitStore();
    assert.equal(store.kind, 'postgres');
    const a = createRateLimiter({ keyPrefix: 'platform-test', points: 2, durationSeconds: 60, store });
    const b = createRateLimiter({ keyPrefix: 'platform-test', points: 2, durationSeconds: 60, store });
    assert.equal((await a.consume('ip-1')).allowed, true);
    assert.equal((await b.consume('ip-1')).allowed, true);
    assert.equal((await a.consume('ip-1')).allowed, false, 'two limiters, one counter');
    await platform.close();
  });

  describe('with REDIS_URL', { skip: !hasRedisServer() && 'redis-server is not installed' }, () => {
    let redis: ExternalServer;
    before(async () => {
      redis = await startRedisServer();
    });
    after(async () => {
      await redis.stop();
    });

    test('rate limits go to Redis', async () => {
      const platform = await open({ REDIS_URL: redis.url });
      const store = platform.rateLimitStore();
      assert.equal(store.kind, 'redis');
      const limiter = createRateLimiter({
        keyPrefix: 'platform-redis',
        points: 1,
        durationSeconds: 60,
        store,
      });
      assert.equal((await limiter.consume('k')).allowed, true);
      assert.equal((await limiter.consume('k')).allowed, false);
      await platform.close();
    });
  });
});
