import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { createPool } from '../src/db/database.js';
import { databaseFailure } from '../src/db/database-failure.js';
import { freePort } from '../src/db/embedded-postgres.js';
import { migrate } from '../src/db/migrate.js';
import {
  BruteForceGuard,
  createRateLimiter,
  createRedisClient,
  type RateLimitStore,
  rateLimitHeaders,
} from '../src/ratelimit/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';
import { type ExternalServer, hasRedisServer, startRedisServer } from '../src/testkit/external-servers.js';

const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

let database: TestDatabase;
let pool: pg.Pool;
// A real Redis (Debian's redis-server, installed by .ci/run) for the REDIS_URL path.
const withRedis = hasRedisServer();
let redisServer: ExternalServer | undefined;
let redis: ReturnType<typeof createRedisClient> | undefined;

before(async () => {
  database = await createTestDatabase('ratelimit');
  await migrate(database.url, 'platform', MIGRATIONS);
  pool = createPool({ url: database.url, schema: 'platform' });
  if (withRedis) {
    redisServer = await startRedisServer();
    redis = createRedisClient(redisServer.url);
  }
});

after(async () => {
  await pool.end();
  await database.drop();
  redis?.disconnect();
  await redisServer?.stop();
});

const stores: { name: string; store: () => RateLimitStore }[] = [
  { name: 'memory', store: () => ({ kind: 'memory' }) },
  { name: 'postgres', store: () => ({ kind: 'postgres', pool }) },
  ...(withRedis ? [{ name: 'redis', store: (): RateLimitStore => ({ kind: 'redis', client: redis! }) }] : []),
];

let prefixCounter = 0;
const uniquePrefix = (label: string) => `test.${label}.${++prefixCounter}`;

for (const { name, store } of stores) {
  describe(`rate limiter on ${name}`, () => {
    test('allows the limit, then limits with a retry-after', async () => {
      const limiter = createRateLimiter({
        keyPrefix: uniquePrefix('basic'),
        points: 3,
        durationSeconds: 60,
        store: store(),
      });
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push(await limiter.consume('client-a'));
      assert.deepEqual(
        decisions.map((d) => [d.allowed, d.remaining]),
        [
          [true, 2],
          [true, 1],
          [true, 0],
          [false, 0],
        ],
      );
      const limited = decisions[3]!;
      assert.equal(limited.limit, 3);
      assert.ok(
        limited.retryAfterSeconds > 0 && limited.retryAfterSeconds <= 60,
        String(limited.retryAfterSeconds),
      );
      assert.ok(limited.resetAfterMs > 0 && limited.resetAfterMs <= 60_000);
      assert.equal(decisions[0]!.retryAfterSeconds, 0);
    });

    test('keys are independent, and so are limiters with different prefixes', async () => {
      const store_ = store();
      const first = createRateLimiter({
        keyPrefix: uniquePrefix('keys'),
        points: 1,
        durationSeconds: 60,
        store: store_,
      });
      const second = createRateLimiter({
        keyPrefix: uniquePrefix('keys'),
        points: 1,
        durationSeconds: 60,
        store: store_,
      });
      assert.equal((await first.consume('a')).allowed, true);
      assert.equal((await first.consume('a')).allowed, false);
      assert.equal((await first.consume('b')).allowed, true);
      assert.equal((await second.consume('a')).allowed, true);
    });

    test('50 concurrent consumes against a limit of 10 allow exactly 10', async () => {
      const limiter = createRateLimiter({
        keyPrefix: uniquePrefix('race'),
        points: 10,
        durationSeconds: 60,
        store: store(),
        // This checks the store's atomicity: on a loaded machine a consume past the default timeout
        // would be counted by the process-local fallback instead (by design), allowing an 11th.
        storeTimeoutMs: 60_000,
      });
      const decisions = await Promise.all(Array.from({ length: 50 }, () => limiter.consume('hot-key')));
      assert.equal(decisions.filter((d) => d.allowed).length, 10);
      assert.ok(decisions.filter((d) => !d.allowed).every((d) => d.retryAfterSeconds > 0));
    });

    test('get reads without consuming; reward gives back; delete resets', async () => {
      const limiter = createRateLimiter({
        keyPrefix: uniquePrefix('state'),
        points: 5,
        durationSeconds: 60,
        store: store(),
      });
      assert.deepEqual(await limiter.get('k'), {
        allowed: true,
        limit: 5,
        remaining: 5,
        resetAfterMs: 0,
        retryAfterSeconds: 0,
        consumed: 0,
      });
      await limiter.consume('k', 4);
      const state = await limiter.get('k');
      assert.equal(state.consumed, 4);
      assert.equal(state.remaining, 1);
      assert.equal(state.allowed, true);
      assert.equal((await limiter.get('k')).consumed, 4);

      await limiter.consume('k');
      assert.equal((await limiter.get('k')).allowed, false);
      await limiter.reward('k', 2);
      assert.equal((await limiter.get('k')).consumed, 3);
      await limiter.delete('k');
      assert.equal((await limiter.consume('k', 5)).allowed, true);
    });

    test('a block outlasts the window once the limit is exceeded', async () => {
      const limiter = createRateLimiter({
        keyPrefix: uniquePrefix('block'),
        points: 1,
        durationSeconds: 1,
        blockDurationSeconds: 300,
        store: store(),
      });
      await limiter.consume('k');
      const limited = await limiter.consume('k');
      assert.equal(limited.allowed, false);
      assert.ok(limited.retryAfterSeconds > 60, String(limited.retryAfterSeconds));
    });

    test('block limits a key for the given time whatever it consumed', async () => {
      const limiter = createRateLimiter({
        keyPrefix: uniquePrefix('explicit-block'),
        points: 5,
        durationSeconds: 60,
        store: store(),
      });
      await limiter.block('k', 600);
      const limited = await limiter.consume('k');
      assert.equal(limited.allowed, false);
      assert.ok(limited.retryAfterSeconds > 60 && limited.retryAfterSeconds <= 600);
      assert.equal((await limiter.consume('other')).allowed, true);
      await assert.rejects(limiter.block('k', 0), RangeError);
    });

    test('long keys are accepted and stay distinct', async () => {
      const limiter = createRateLimiter({
        keyPrefix: uniquePrefix('long'),
        points: 1,
        durationSeconds: 60,
        store: store(),
      });
      const base = 'x'.repeat(500);
      assert.equal((await limiter.consume(`${base}1`)).allowed, true);
      assert.equal((await limiter.consume(`${base}2`)).allowed, true);
      assert.equal((await limiter.consume(`${base}1`)).allowed, false);
    });

    test('brute-force guard: free failures, doubling delay, lockout, reset on success', async () => {
      const guard = new BruteForceGuard({
        keyPrefix: uniquePrefix('login'),
        store: store(),
        maxFailures: 5,
        freeFailures: 2,
        baseDelayMs: 1000,
        maxDelayMs: 3000,
        windowSeconds: 600,
        lockoutSeconds: 900,
      });
      const fresh = await guard.check('alice@example.com');
      assert.deepEqual(fresh, { allowed: true, retryAfterSeconds: 0, delayMs: 0, failures: 0 });

      const delays: number[] = [];
      for (let i = 0; i < 4; i++) {
        const attempt = await guard.reserve('alice@example.com');
        assert.equal(attempt.allowed, true);
        assert.equal(attempt.attempt, i + 1);
        const status = await attempt.fail();
        assert.equal(status.allowed, true);
        delays.push(status.delayMs);
        assert.equal((await guard.check('alice@example.com')).delayMs, status.delayMs);
      }
      assert.deepEqual(delays, [0, 1000, 2000, 3000]);

      // The fifth failure itself locks the key, for the lockout (not what is left of the window).
      const fifth = await guard.reserve('alice@example.com');
      assert.equal(fifth.allowed, true);
      const locked = await fifth.fail();
      assert.equal(locked.allowed, false);
      assert.ok(
        locked.retryAfterSeconds > 600 && locked.retryAfterSeconds <= 900,
        String(locked.retryAfterSeconds),
      );
      const checked = await guard.check('alice@example.com');
      assert.equal(checked.allowed, false);
      assert.ok(checked.retryAfterSeconds > 600);
      const refused = await guard.reserve('alice@example.com');
      assert.equal(refused.allowed, false);
      assert.ok(refused.retryAfterSeconds > 600 && refused.retryAfterSeconds <= 900);
      assert.equal(refused.attempt, 0);
      assert.equal((await guard.reserve('bob@example.com')).allowed, true);

      await guard.succeed('alice@example.com');
      assert.deepEqual(await guard.check('alice@example.com'), {
        allowed: true,
        retryAfterSeconds: 0,
        delayMs: 0,
        failures: 0,
      });
    });

    test('brute-force guard: 200 parallel guesses, at most maxFailures reach the verifier', async () => {
      const guard = new BruteForceGuard({
        keyPrefix: uniquePrefix('parallel'),
        store: store(),
        maxFailures: 10,
        baseDelayMs: 0,
      });
      let verified = 0;
      const slowWrongPassword = async () => {
        verified += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return false;
      };
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, async () => {
          const attempt = await guard.reserve('victim');
          if (!attempt.allowed) return 'refused';
          if (await slowWrongPassword()) {
            await attempt.succeed();
            return 'in';
          }
          await attempt.fail();
          return 'wrong';
        }),
      );
      assert.equal(verified, 10);
      assert.equal(outcomes.filter((o) => o === 'wrong').length, 10);
      assert.equal(outcomes.filter((o) => o === 'refused').length, 190);
      assert.equal((await guard.check('victim')).allowed, false);
      assert.equal((await guard.reserve('victim')).allowed, false);
    });

    test('brute-force guard: a released attempt is given back; a success resets; settling twice is a no-op', async () => {
      const guard = new BruteForceGuard({
        keyPrefix: uniquePrefix('release'),
        store: store(),
        maxFailures: 2,
      });
      const first = await guard.reserve('k');
      await first.fail();
      const unchecked = await guard.reserve('k');
      assert.equal(unchecked.attempt, 2);
      await unchecked.release();
      await unchecked.release();
      assert.equal((await guard.check('k')).failures, 1);
      // The slot given back is usable: the next attempt is the second again.
      const again = await guard.reserve('k');
      assert.equal(again.attempt, 2);
      await again.succeed();
      await again.release();
      assert.equal((await guard.check('k')).failures, 0);
    });
  });
}

describe('rate limiter on postgres, specifically', () => {
  test('counters live in platform.rate_limits and are shared between limiter instances', async () => {
    const keyPrefix = uniquePrefix('shared');
    const one = createRateLimiter({
      keyPrefix,
      points: 2,
      durationSeconds: 60,
      store: { kind: 'postgres', pool },
    });
    const two = createRateLimiter({
      keyPrefix,
      points: 2,
      durationSeconds: 60,
      store: { kind: 'postgres', pool },
    });
    assert.equal((await one.consume('k')).allowed, true);
    assert.equal((await two.consume('k')).allowed, true);
    assert.equal((await one.consume('k')).allowed, false);
    const { rows } = await pool.query('SELECT key, points FROM platform.rate_limits WHERE key = $1', [
      `${keyPrefix}:k`,
    ]);
    assert.deepEqual(rows, [{ key: `${keyPrefix}:k`, points: 3 }]);
  });

  test('an unreachable database falls back to in-process limits instead of failing', async () => {
    const deadPool = createPool({
      url: `postgresql://nobody:nothing@127.0.0.1:${await freePort()}/none`,
      schema: 'platform',
      max: 2,
    });
    try {
      const limiter = createRateLimiter({
        keyPrefix: uniquePrefix('dead'),
        points: 2,
        durationSeconds: 60,
        store: { kind: 'postgres', pool: deadPool },
      });
      assert.equal((await limiter.consume('k')).allowed, true);
      assert.equal((await limiter.consume('k')).allowed, true);
      const limited = await limiter.consume('k');
      assert.equal(limited.allowed, false);
      assert.ok(limited.retryAfterSeconds > 0);
    } finally {
      await deadPool.end();
    }
  });
});

describe('limiters that refuse when the store cannot count', () => {
  test('onStoreFailure refuse: an unreachable database store rejects (an outage, 503) instead of counting in memory', async () => {
    const deadPool = createPool({
      url: `postgresql://nobody:nothing@127.0.0.1:${await freePort()}/none`,
      schema: 'platform',
      max: 2,
    });
    try {
      const limiter = createRateLimiter({
        keyPrefix: uniquePrefix('refuse'),
        points: 5,
        durationSeconds: 60,
        store: { kind: 'postgres', pool: deadPool },
        onStoreFailure: 'refuse',
      });
      // Nothing passes either way; rejecting lets the request be answered as the outage it is.
      await assert.rejects(limiter.consume('k'), (error) => databaseFailure(error) === 'unreachable');
      const guard = new BruteForceGuard({
        keyPrefix: uniquePrefix('guard-dead'),
        store: { kind: 'postgres', pool: deadPool },
      });
      await assert.rejects(guard.reserve('k'), (error) => databaseFailure(error) === 'unreachable');
    } finally {
      await deadPool.end();
    }
  });

  test('a brute-force guard whose store is slower than its timeout refuses the attempt', async () => {
    const slowPool = {
      query: () => new Promise(() => undefined),
    } as unknown as pg.Pool;
    const guard = new BruteForceGuard({
      keyPrefix: uniquePrefix('guard-slow'),
      store: { kind: 'postgres', pool: slowPool },
      storeTimeoutMs: 50,
    });
    const attempts = await Promise.all(Array.from({ length: 30 }, () => guard.reserve('k')));
    assert.ok(attempts.every((attempt) => !attempt.allowed));
  });
});

describe('rate limiter on redis', () => {
  test('an unreachable Redis falls back to in-process limits instead of failing', async () => {
    const client = createRedisClient(`redis://127.0.0.1:${await freePort()}`);
    try {
      const limiter = createRateLimiter({
        keyPrefix: uniquePrefix('redis'),
        points: 1,
        durationSeconds: 60,
        store: { kind: 'redis', client },
      });
      assert.equal((await limiter.consume('k')).allowed, true);
      assert.equal((await limiter.consume('k')).allowed, false);
    } finally {
      client.disconnect();
    }
  });
});

describe('rate limiter options and headers', () => {
  test('refuses nonsense settings', () => {
    const store: RateLimitStore = { kind: 'memory' };
    assert.throws(
      () => createRateLimiter({ keyPrefix: 'ok', points: -1, durationSeconds: 1, store }),
      RangeError,
    );
    assert.throws(
      () => createRateLimiter({ keyPrefix: 'ok', points: 1, durationSeconds: 0, store }),
      RangeError,
    );
    assert.throws(
      () => createRateLimiter({ keyPrefix: 'bad prefix', points: 1, durationSeconds: 1, store }),
      TypeError,
    );
  });

  test('rateLimitHeaders carries Retry-After only when limited', () => {
    assert.deepEqual(
      rateLimitHeaders({ allowed: true, limit: 10, remaining: 4, resetAfterMs: 1500, retryAfterSeconds: 0 }),
      { 'X-RateLimit-Limit': '10', 'X-RateLimit-Remaining': '4', 'X-RateLimit-Reset': '2' },
    );
    assert.deepEqual(
      rateLimitHeaders({
        allowed: false,
        limit: 10,
        remaining: 0,
        resetAfterMs: 30_000,
        retryAfterSeconds: 30,
      }),
      {
        'X-RateLimit-Limit': '10',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': '30',
        'Retry-After': '30',
      },
    );
  });
});
