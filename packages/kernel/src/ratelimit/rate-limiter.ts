import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { databaseFailure } from '../db/database-failure.js';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  RLWrapperTimeouts,
} from 'rate-limiter-flexible';

/** The table of migration 0003, shared by every PostgreSQL-backed limiter (keys carry their limiter's prefix). */
export const RATE_LIMIT_SCHEMA = 'platform';
export const RATE_LIMIT_TABLE = 'rate_limits';

export type RateLimitStore =
  | { kind: 'memory' }
  | {
      kind: 'postgres';
      pool: pg.Pool;
      /** Defaults to `platform`, where the kernel migration creates the table. */
      schema?: string;
      table?: string;
    }
  | { kind: 'redis'; client: Redis };

export interface RateLimiterOptions {
  /** Namespaces the keys of this limiter, e.g. `account.login`. */
  keyPrefix: string;
  /** Points a key may consume per window. */
  points: number;
  durationSeconds: number;
  /** Once over the limit, the key stays limited this long instead of until the window ends. */
  blockDurationSeconds?: number;
  store: RateLimitStore;
  /**
   * A shared store that answers neither with a result nor an error within this time is treated as
   * down; the process-local fallback answers instead.
   */
  storeTimeoutMs?: number;
  /**
   * What `consume` answers when the shared store errs or times out: `fallback` (default) counts in
   * process memory instead, keeping requests flowing with per-process limits; `refuse` answers
   * "limited" (retry after a second), for counters where a second, local allowance would let
   * extra attempts through (brute-force guards). A PostgreSQL store that is down (`databaseFailure`)
   * rejects with its error instead: nothing passes either way, and the request is answered 503 as
   * the outage it is, not 429.
   */
  onStoreFailure?: 'fallback' | 'refuse';
}

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Until the window (or block) ends and the key's points are back. */
  resetAfterMs: number;
  /** 0 when allowed; otherwise whole seconds to wait, at least 1 (for `Retry-After`). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  readonly keyPrefix: string;
  readonly limit: number;
  /**
   * Takes `points` from `key`. A limited outcome is a decision with `allowed: false`; it rejects only
   * when a `refuse` limiter's PostgreSQL store is down.
   */
  consume(key: string, points?: number): Promise<RateLimitDecision>;
  /** Gives points back, e.g. for a request that turned out not to count. */
  reward(key: string, points?: number): Promise<void>;
  /** Forgets the key: full points, no block. */
  delete(key: string): Promise<void>;
  /** Limits the key for `seconds` from now, whatever it has consumed. */
  block(key: string, seconds: number): Promise<void>;
  /** The key's state without consuming; `allowed` says whether one more point may be consumed now. */
  get(key: string): Promise<RateLimitDecision & { consumed: number }>;
}

const DEFAULT_STORE_TIMEOUT_MS = 1000;
const MAX_PLAIN_KEY_LENGTH = 200;
const KEY_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

// Keys are caller data (emails, IPs, API key hashes); a digest keeps long ones inside the primary-key index.
function storageKey(key: string): string {
  return key.length <= MAX_PLAIN_KEY_LENGTH
    ? key
    : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

function decisionFrom(res: RateLimiterRes, limit: number, allowed: boolean): RateLimitDecision {
  const resetAfterMs = Math.max(0, Math.ceil(res.msBeforeNext));
  return {
    allowed,
    limit,
    remaining: allowed ? Math.max(0, res.remainingPoints) : 0,
    resetAfterMs,
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(resetAfterMs / 1000)),
  };
}

function buildLimiter(options: RateLimiterOptions): RateLimiterAbstract {
  const common = {
    keyPrefix: options.keyPrefix,
    points: options.points,
    duration: options.durationSeconds,
    blockDuration: options.blockDurationSeconds ?? 0,
  };
  const { store } = options;
  if (store.kind === 'memory') return new RateLimiterMemory(common);

  const insuranceLimiter = options.onStoreFailure === 'refuse' ? undefined : new RateLimiterMemory(common);
  const storeLimiter =
    store.kind === 'postgres'
      ? new RateLimiterPostgres({
          ...common,
          storeClient: store.pool,
          storeType: 'pool',
          schemaName: store.schema ?? RATE_LIMIT_SCHEMA,
          tableName: store.table ?? RATE_LIMIT_TABLE,
          // The table comes from a migration; the library must not create its own.
          tableCreated: true,
          insuranceLimiter,
        })
      : new RateLimiterRedis({ ...common, storeClient: store.client, insuranceLimiter });
  // Errors already fall back to insuranceLimiter (when there is one); the timeout also covers a
  // store that hangs.
  return new RLWrapperTimeouts({
    limiter: storeLimiter,
    timeoutMs: options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS,
    insuranceLimiter,
    blockDuration: common.blockDuration,
  });
}

/**
 * A fixed-window limiter over process memory, PostgreSQL (`platform.rate_limits`) or Redis.
 * With a shared store, a store outage degrades to per-process limits instead of failing requests.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  if (!KEY_PREFIX.test(options.keyPrefix)) {
    throw new TypeError('keyPrefix must be 1-100 letters, digits, dots, colons, dashes or underscores');
  }
  if (!Number.isInteger(options.points) || options.points < 0) {
    throw new RangeError('points must be a non-negative integer');
  }
  if (!Number.isInteger(options.durationSeconds) || options.durationSeconds <= 0) {
    throw new RangeError('durationSeconds must be a positive integer');
  }
  const limit = options.points;
  const limiter = buildLimiter(options);

  return {
    keyPrefix: options.keyPrefix,
    limit,
    async consume(key, points = 1) {
      if (!Number.isInteger(points) || points < 1) {
        throw new RangeError('points to consume must be a positive integer');
      }
      try {
        return decisionFrom(await limiter.consume(storageKey(key), points), limit, true);
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) return decisionFrom(outcome, limit, false);
        // Only reached without a fallback (`refuse`): the store could not count, so nothing passes.
        if (options.onStoreFailure === 'refuse' && options.store.kind !== 'memory') {
          if (databaseFailure(outcome)) throw outcome;
          return { allowed: false, limit, remaining: 0, resetAfterMs: 1000, retryAfterSeconds: 1 };
        }
        throw outcome;
      }
    },
    async reward(key, points = 1) {
      await limiter.reward(storageKey(key), points);
    },
    async delete(key) {
      await limiter.delete(storageKey(key));
    },
    async block(key, seconds) {
      if (!Number.isInteger(seconds) || seconds < 1) {
        throw new RangeError('seconds to block must be a positive integer');
      }
      await limiter.block(storageKey(key), seconds);
    },
    async get(key) {
      const res = await limiter.get(storageKey(key));
      if (!res) {
        return {
          allowed: limit > 0,
          limit,
          remaining: limit,
          resetAfterMs: 0,
          retryAfterSeconds: 0,
          consumed: 0,
        };
      }
      const consumed = Math.max(0, res.consumedPoints);
      const allowed = consumed < limit;
      return { ...decisionFrom(res, limit, allowed), remaining: Math.max(0, limit - consumed), consumed };
    },
  };
}

/** Response headers for a decision: the `X-RateLimit-*` family, plus `Retry-After` when limited. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': String(decision.remaining),
    'X-RateLimit-Reset': String(Math.ceil(decision.resetAfterMs / 1000)),
  };
  if (!decision.allowed) headers['Retry-After'] = String(decision.retryAfterSeconds);
  return headers;
}
