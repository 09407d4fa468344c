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
  /** Failures counted in the current window (attempts still being checked included). */
  failures: number;
}

/**
 * One attempt at a credential, counted before the credential is checked. Settle it exactly once:
 * `succeed` on a right credential, `fail` on a wrong one, `release` when it was never checked.
 */
export interface BruteForceAttempt {
  /** False when the key is locked out: refuse without checking the credential (then settling is a no-op). */
  readonly allowed: boolean;
  /** 0 when allowed; otherwise seconds until the key may try again. */
  readonly retryAfterSeconds: number;
  /** This attempt's place among the failures of the window (1 = the first); 0 when refused. */
  readonly attempt: number;
  /** The credential was right: the key starts over. */
  succeed(): Promise<void>;
  /** The credential was wrong: the attempt stays counted. Returns the delay to hold the answer and whether the key is now locked. */
  fail(): Promise<BruteForceStatus>;
  /** The credential was never checked (another guard refused, a dependency failed): the attempt is given back. */
  release(): Promise<void>;
}

type BruteForceSettings = Required<
  Pick<
    BruteForceGuardOptions,
    'maxFailures' | 'windowSeconds' | 'lockoutSeconds' | 'freeFailures' | 'baseDelayMs' | 'maxDelayMs'
  >
>;

/** Longer than request limiters': a login under load should wait for its count, not be refused. */
const DEFAULT_STORE_TIMEOUT_MS = 5000;

export const BRUTE_FORCE_DEFAULTS: Readonly<BruteForceSettings> = Object.freeze({
  maxFailures: 10,
  windowSeconds: 15 * 60,
  lockoutSeconds: 15 * 60,
  freeFailures: 3,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
});

/**
 * Login protection per key (an account, an IP, a share link): the first failures cost nothing,
 * later ones a doubling delay (0, 0, 0, 1 s, 2 s, 4 s … capped), and `maxFailures` within the window
 * lock the key for `lockoutSeconds`. A success resets the key. Counters live in the given store, so
 * with PostgreSQL or Redis they hold across processes.
 *
 * Usage: `const attempt = await guard.reserve(key)`; refuse when `!attempt.allowed`; otherwise
 * verify, then `attempt.succeed()` or `attempt.fail()`. The attempt is counted atomically (the
 * store's consume) *before* the credential is checked, so parallel guesses cannot all slip in while
 * a slow hash runs: at most `maxFailures` attempts per window ever reach the verifier.
 */
export class BruteForceGuard {
  readonly #attempts: RateLimiter;
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
    // One point per attempt: `maxFailures` may be in flight or failed; the next one is refused and
    // blocks the key for the lockout. The failure that reaches `maxFailures` blocks it itself.
    this.#attempts = createRateLimiter({
      keyPrefix: options.keyPrefix,
      points: settings.maxFailures,
      durationSeconds: settings.windowSeconds,
      blockDurationSeconds: settings.lockoutSeconds,
      store: options.store,
      // A per-process fallback would grant every process (and every slow-store episode) another
      // `maxFailures` guesses: when the store cannot count an attempt, the attempt is refused.
      onStoreFailure: 'refuse',
      storeTimeoutMs: options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS,
    });
  }

  /**
   * Counts an attempt for `key` before its credential is checked; see `BruteForceAttempt`. When the
   * shared store cannot answer (down, or slower than `storeTimeoutMs`) the attempt is refused with a
   * 1-second retry rather than counted in process memory.
   */
  async reserve(key: string): Promise<BruteForceAttempt> {
    const decision = await this.#attempts.consume(key);
    if (!decision.allowed) return this.#refused(decision.retryAfterSeconds);
    const attempt = decision.limit - decision.remaining;
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      return true;
    };
    return {
      allowed: true,
      retryAfterSeconds: 0,
      attempt,
      // Settling never fails the caller's answer: a counter the store could not update only errs
      // on the safe side (it expires with the window), and the credential check already happened.
      succeed: async () => {
        if (settle()) await this.#attempts.delete(key).catch(() => undefined);
      },
      fail: async () => {
        settle();
        const { maxFailures, lockoutSeconds } = this.#settings;
        if (attempt < maxFailures) return this.#status(attempt, false, 0);
        // The attempt is already counted at the limit, so the key stays refused even if this fails.
        await this.#attempts.block(key, lockoutSeconds).catch(() => undefined);
        return this.#status(maxFailures, true, lockoutSeconds);
      },
      release: async () => {
        if (settle()) await this.#attempts.reward(key).catch(() => undefined);
      },
    };
  }

  /** The key's state, for display only: gate attempts with `reserve`, never with `check`. */
  async check(key: string): Promise<BruteForceStatus> {
    const state = await this.#attempts.get(key);
    const failures = Math.min(state.consumed, this.#settings.maxFailures);
    const lockedOut = failures >= this.#settings.maxFailures && state.resetAfterMs > 0;
    return this.#status(failures, lockedOut, Math.ceil(state.resetAfterMs / 1000));
  }

  /** Forgets the key's failures (an operator unlock, or a success outside `reserve`). */
  async succeed(key: string): Promise<void> {
    await this.#attempts.delete(key);
  }

  #refused(retryAfterSeconds: number): BruteForceAttempt {
    const locked = this.#status(this.#settings.maxFailures, true, retryAfterSeconds);
    return {
      allowed: false,
      retryAfterSeconds: locked.retryAfterSeconds,
      attempt: 0,
      succeed: async () => undefined,
      fail: async () => locked,
      release: async () => undefined,
    };
  }

  #status(failures: number, lockedOut: boolean, retryAfterSeconds: number): BruteForceStatus {
    const { freeFailures, baseDelayMs, maxDelayMs } = this.#settings;
    const excess = failures - freeFailures;
    const delayMs = excess < 0 ? 0 : Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(excess, 30));
    return {
      allowed: !lockedOut,
      retryAfterSeconds: lockedOut ? Math.max(1, retryAfterSeconds) : 0,
      delayMs,
      failures,
    };
  }
}
