import { createRateLimiter, type RateLimiter, type RateLimitStore } from './rate-limiter.js';

export interface BruteForceGuardOptions {
  /** Namespaces the counters, e.g. `account.login`. */
  keyPrefix: string;
  store: RateLimitStore;
  /** Failures within `windowSeconds` that lock the key. */
  maxFailures?: number;
  windowSeconds?: number;
  lockoutSeconds?: number;
  /** Failures answered without delay before the delay starts doubling. */
  freeFailures?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  storeTimeoutMs?: number;
}

export interface BruteForceStatus {
  /** False while the key is locked out: refuse the attempt without checking the credential. */
  allowed: boolean;
  /** 0 when allowed; otherwise seconds until the lockout ends. */
  retryAfterSeconds: number;
  /** How long the caller should hold its answer to this attempt, growing with each failure. */
  delayMs: number;
  /** Failures counted in the current window. */
  failures: number;
}

type BruteForceSettings = Required<
  Pick<
    BruteForceGuardOptions,
    'maxFailures' | 'windowSeconds' | 'lockoutSeconds' | 'freeFailures' | 'baseDelayMs' | 'maxDelayMs'
  >
>;

export const BRUTE_FORCE_DEFAULTS: Readonly<BruteForceSettings> = Object.freeze({
  maxFailures: 10,
  windowSeconds: 15 * 60,
  lockoutSeconds: 15 * 60,
  freeFailures: 3,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
});

/**
 * Login protection per key (an account, an IP, or both): the first failures cost nothing, later ones
 * a doubling delay (0, 0, 0, 1 s, 2 s, 4 s … capped), and `maxFailures` within the window lock the
 * key for `lockoutSeconds`. A success resets the key. Counters live in the given store, so with
 * PostgreSQL or Redis they hold across processes.
 *
 * Usage: `check` before verifying; on a bad credential `fail`, on a good one `succeed`.
 */
export class BruteForceGuard {
  readonly #failures: RateLimiter;
  readonly #settings: BruteForceSettings;

  constructor(options: BruteForceGuardOptions) {
    const settings: BruteForceSettings = {
      maxFailures: options.maxFailures ?? BRUTE_FORCE_DEFAULTS.maxFailures,
      windowSeconds: options.windowSeconds ?? BRUTE_FORCE_DEFAULTS.windowSeconds,
      lockoutSeconds: options.lockoutSeconds ?? BRUTE_FORCE_DEFAULTS.lockoutSeconds,
      freeFailures: options.freeFailures ?? BRUTE_FORCE_DEFAULTS.freeFailures,
      baseDelayMs: options.baseDelayMs ?? BRUTE_FORCE_DEFAULTS.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? BRUTE_FORCE_DEFAULTS.maxDelayMs,
    };
    if (!Number.isInteger(settings.maxFailures) || settings.maxFailures < 1) {
      throw new RangeError('maxFailures must be a positive integer');
    }
    if (!Number.isInteger(settings.lockoutSeconds) || settings.lockoutSeconds < 1) {
      throw new RangeError('lockoutSeconds must be a positive integer');
    }
    if (settings.freeFailures < 0 || settings.baseDelayMs < 0 || settings.maxDelayMs < 0) {
      throw new RangeError('freeFailures, baseDelayMs and maxDelayMs must not be negative');
    }
    this.#settings = settings;
    // The failure that exceeds `maxFailures - 1` points is the one that blocks the key for the lockout.
    this.#failures = createRateLimiter({
      keyPrefix: options.keyPrefix,
      points: settings.maxFailures - 1,
      durationSeconds: settings.windowSeconds,
      blockDurationSeconds: settings.lockoutSeconds,
      store: options.store,
      ...(options.storeTimeoutMs === undefined ? {} : { storeTimeoutMs: options.storeTimeoutMs }),
    });
  }

  async check(key: string): Promise<BruteForceStatus> {
    const state = await this.#failures.get(key);
    return this.#status(state.consumed, state.resetAfterMs);
  }

  /** Records a failed attempt and returns the status that now applies to the key. */
  async fail(key: string): Promise<BruteForceStatus> {
    const decision = await this.#failures.consume(key);
    const failures = decision.allowed ? decision.limit - decision.remaining : this.#settings.maxFailures;
    return this.#status(failures, decision.resetAfterMs);
  }

  async succeed(key: string): Promise<void> {
    await this.#failures.delete(key);
  }

  #status(failures: number, resetAfterMs: number): BruteForceStatus {
    const { maxFailures, freeFailures, baseDelayMs, maxDelayMs } = this.#settings;
    const lockedOut = failures >= maxFailures && resetAfterMs > 0;
    const excess = failures - freeFailures;
    const delayMs = excess < 0 ? 0 : Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(excess, 30));
    return {
      allowed: !lockedOut,
      retryAfterSeconds: lockedOut ? Math.max(1, Math.ceil(resetAfterMs / 1000)) : 0,
      delayMs,
      failures,
    };
  }
}
