import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { createRateLimiter } from '../src/ratelimit/rate-limiter.js';
import { LocalWindowLimiter } from '../src/ratelimit/local-window-limiter.js';

// The synchronous per-process window for caps checked on every request. It must decide exactly as
// the memory store of `createRateLimiter` (rate-limiter-flexible) does, which it replaces there.

describe('LocalWindowLimiter', () => {
  beforeEach(() => mock.timers.enable({ apis: ['Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  test('a fixed window from the first point: the limit passes, then refusals with Retry-After, then a new window', () => {
    const limiter = new LocalWindowLimiter({ points: 3, durationSeconds: 60 });
    const decisions = [1, 2, 3].map(() => limiter.consume('203.0.113.1'));
    assert.deepEqual(
      decisions.map((decision) => [decision.allowed, decision.remaining, decision.retryAfterSeconds]),
      [
        [true, 2, 0],
        [true, 1, 0],
        [true, 0, 0],
      ],
    );
    mock.timers.tick(20_500);
    const refused = limiter.consume('203.0.113.1');
    assert.deepEqual(refused, {
      allowed: false,
      limit: 3,
      remaining: 0,
      resetAfterMs: 39_500,
      retryAfterSeconds: 40,
    });
    assert.equal(limiter.consume('203.0.113.2').allowed, true, 'another key has its own window');
    mock.timers.tick(39_500);
    assert.deepEqual(limiter.consume('203.0.113.1'), {
      allowed: true,
      limit: 3,
      remaining: 2,
      resetAfterMs: 60_000,
      retryAfterSeconds: 0,
    });
  });

  test('decides as the memory store of createRateLimiter does, point for point', async () => {
    const local = new LocalWindowLimiter({ points: 4, durationSeconds: 10 });
    const flexible = createRateLimiter({
      keyPrefix: 'test.general',
      points: 4,
      durationSeconds: 10,
      store: { kind: 'memory' },
    });
    const steps = [0, 100, 2000, 0, 0, 3000, 4899, 1, 5000, 0, 0, 0, 0, 0, 12_000];
    for (const [index, step] of steps.entries()) {
      mock.timers.tick(step);
      const key = index % 5 === 4 ? 'other' : 'key';
      assert.deepEqual(local.consume(key), await flexible.consume(key), `step ${index}`);
    }
  });

  test('ended windows are dropped: memory holds only the keys seen in the current window', () => {
    const limiter = new LocalWindowLimiter({ points: 1, durationSeconds: 1 });
    for (let i = 0; i < 1000; i++) limiter.consume(`198.51.100.${i}`);
    assert.equal(limiter.size, 1000);
    mock.timers.tick(1000);
    limiter.consume('192.0.2.1');
    assert.equal(limiter.size, 1);
  });

  test('refuses a limit it cannot honour', () => {
    assert.throws(() => new LocalWindowLimiter({ points: -1, durationSeconds: 60 }), RangeError);
    assert.throws(() => new LocalWindowLimiter({ points: 1, durationSeconds: 0 }), RangeError);
  });
});
