import type { RateLimitDecision } from './rate-limiter.js';

export interface LocalWindowLimiterOptions {
  /** Points a key may consume per window. */
  points: number;
  durationSeconds: number;
}

interface Window {
  consumed: number;
  /** `Date.now()` at which the window ends and the key's points are back. */
  resetAt: number;
}

/**
 * A fixed-window counter per key in this process's memory, answered synchronously: for a cap
 * checked on every request (a service's general per-IP limit), where a shared store would cost a
 * round trip per request. It counts as `createRateLimiter`'s memory store does
 * (rate-limiter-flexible's `RateLimiterMemory`: a window starts at a key's first point, a point
 * over the limit is refused and still counted, the key is free again when its window ends), but
 * that limiter has only a promise API, so every request paid a promise and its microtask, and it
 * arms a timer per key. Here a request costs a `Map` lookup; ended windows are dropped in one
 * sweep per window length, so memory stays bounded by the keys seen in one window.
 */
export class LocalWindowLimiter {
  readonly limit: number;
  readonly #windowMs: number;
  readonly #windows = new Map<string, Window>();
  #nextSweepAt: number;

  constructor(options: LocalWindowLimiterOptions) {
    if (!Number.isInteger(options.points) || options.points < 0) {
      throw new RangeError('points must be a non-negative integer');
    }
    if (!Number.isInteger(options.durationSeconds) || options.durationSeconds <= 0) {
      throw new RangeError('durationSeconds must be a positive integer');
    }
    this.limit = options.points;
    this.#windowMs = options.durationSeconds * 1000;
    this.#nextSweepAt = Date.now() + this.#windowMs;
  }

  /** Takes one point from `key`; `allowed: false` once the window's points are spent. */
  consume(key: string): RateLimitDecision {
    const now = Date.now();
    if (now >= this.#nextSweepAt) this.#sweep(now);
    let window = this.#windows.get(key);
    if (window === undefined || window.resetAt <= now) {
      window = { consumed: 0, resetAt: now + this.#windowMs };
      this.#windows.set(key, window);
    }
    window.consumed += 1;
    const resetAfterMs = window.resetAt - now;
    const allowed = window.consumed <= this.limit;
    return {
      allowed,
      limit: this.limit,
      remaining: allowed ? this.limit - window.consumed : 0,
      resetAfterMs,
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(resetAfterMs / 1000)),
    };
  }

  /** Keys with a window still running (for tests and metrics). */
  get size(): number {
    return this.#windows.size;
  }

  #sweep(now: number): void {
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key);
    this.#nextSweepAt = now + this.#windowMs;
  }
}
