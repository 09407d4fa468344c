import {
  BruteForceGuard,
  createRateLimiter,
  createRedisClient,
  LocalWindowLimiter,
  type RateLimiter,
  type RateLimitStore,
} from '@trustplane/kernel';
import type pg from 'pg';
import { Counter, type Registry } from 'prom-client';
import type { AccountConfig } from '../config.js';
import { errors } from '../errors.js';

export type LimitFamily = 'register' | 'login' | 'verify' | 'general';

/**
 * Per-IP windows per endpoint family (seed "Rate limits" card), login brute-force guards per
 * account and per IP, and per-API-key limits. Shared across processes through PostgreSQL, or
 * Redis when REDIS_URL is set; the general cap stays in process memory (it is checked on every
 * request and must not cost a round trip, nor a promise: the kernel's synchronous
 * `LocalWindowLimiter`).
 */
export class Limits {
  readonly #families: Record<Exclude<LimitFamily, 'general'>, RateLimiter>;
  readonly #general: LocalWindowLimiter;
  readonly #perKey = new Map<number, RateLimiter>();
  readonly accountGuard: BruteForceGuard;
  readonly ipGuard: BruteForceGuard;
  readonly #store: RateLimitStore;
  readonly #rejections: Counter<'limiter'>;
  readonly #checks: Counter<'limiter'>;
  readonly bruteForce: Counter<'event' | 'scope'>;
  readonly redis: ReturnType<typeof createRedisClient> | undefined;

  constructor(config: AccountConfig, pool: pg.Pool, redisUrl: string | undefined, registry: Registry) {
    this.redis = redisUrl ? createRedisClient(redisUrl) : undefined;
    this.#store = this.redis ? { kind: 'redis', client: this.redis } : { kind: 'postgres', pool };
    const family = (name: LimitFamily, points: number, store: RateLimitStore) =>
      createRateLimiter({ keyPrefix: `account.${name}`, points, durationSeconds: 60, store });
    this.#families = {
      register: family('register', config.rateLimits.register, this.#store),
      login: family('login', config.rateLimits.login, this.#store),
      verify: family('verify', config.rateLimits.verify, this.#store),
    };
    this.#general = new LocalWindowLimiter({ points: config.rateLimits.general, durationSeconds: 60 });
    const guard = (scope: string) =>
      new BruteForceGuard({
        keyPrefix: `account.bruteforce.${scope}`,
        store: this.#store,
        ...config.bruteForce,
      });
    this.accountGuard = guard('account');
    // An IP may try several accounts: it gets more room than one account before its lockout.
    this.ipGuard = new BruteForceGuard({
      keyPrefix: 'account.bruteforce.ip',
      store: this.#store,
      ...config.bruteForce,
      maxFailures: config.bruteForce.maxFailures * 3,
      freeFailures: config.bruteForce.freeFailures * 3,
    });
    this.#rejections = new Counter({
      name: 'account_rate_limit_rejections_total',
      help: 'Requests refused by a rate limiter, by limiter',
      labelNames: ['limiter'],
      registers: [registry],
    });
    this.#checks = new Counter({
      name: 'account_rate_limit_checks_total',
      help: 'Requests checked by a rate limiter, by limiter',
      labelNames: ['limiter'],
      registers: [registry],
    });
    this.bruteForce = new Counter({
      name: 'account_brute_force_events_total',
      help: 'Login brute-force events: failures counted, lockouts refused, by scope (account, ip)',
      labelNames: ['event', 'scope'],
      registers: [registry],
    });
  }

  /** Consumes one point for `key` in `family`; throws the seed's 429 when exhausted. */
  async enforce(family: LimitFamily, key: string): Promise<Record<string, string> | undefined> {
    if (family === 'general') {
      const failure = this.checkGeneral(key);
      if (failure) throw failure;
      return undefined;
    }
    const limiter = this.#families[family];
    this.#checks.inc({ limiter: family });
    const decision = await limiter.consume(key);
    if (!decision.allowed) {
      this.#rejections.inc({ limiter: family });
      throw errors.RATE_LIMITED(decision.retryAfterSeconds, decision.limit, 60);
    }
    return {
      'x-ratelimit-limit': String(decision.limit),
      'x-ratelimit-remaining': String(decision.remaining),
    };
  }

  /** The general per-IP cap: the 429 to answer, or undefined (synchronous: it runs on every request). */
  checkGeneral(key: string) {
    const decision = this.#general.consume(key);
    if (decision.allowed) return undefined;
    this.#rejections.inc({ limiter: 'general' });
    return errors.RATE_LIMITED(decision.retryAfterSeconds, decision.limit, 60);
  }

  /** The service account's own `rate_limit_per_minute`, counted per API key. */
  async enforceApiKey(keyId: string, perMinute: number): Promise<void> {
    let limiter = this.#perKey.get(perMinute);
    if (!limiter) {
      limiter = createRateLimiter({
        keyPrefix: `account.apikey.${perMinute}`,
        points: perMinute,
        durationSeconds: 60,
        store: this.#store,
      });
      this.#perKey.set(perMinute, limiter);
    }
    this.#checks.inc({ limiter: 'api_key' });
    const decision = await limiter.consume(keyId);
    if (!decision.allowed) {
      this.#rejections.inc({ limiter: 'api_key' });
      throw errors.RATE_LIMITED(decision.retryAfterSeconds, decision.limit, 60);
    }
  }

  async close(): Promise<void> {
    this.redis?.disconnect();
  }
}
