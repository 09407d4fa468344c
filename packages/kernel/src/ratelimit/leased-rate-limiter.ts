import {
  createRateLimiter,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimiterOptions,
} from './rate-limiter.js';

export interface LeasedRateLimiterOptions extends RateLimiterOptions {
  /**
   * Most points one trip to the shared store takes for this process. Default: a twentieth of the
   * limit, at least 1, at most 50.
   */
  maxLease?: number;
}

interface Lease {
  /** Points this process took from the store and has not handed out yet. */
  points: number;
  /** What the store had left for the key after the last trip (other processes may have spent some since). */
  storeRemaining: number;
  /** `Date.now()` at which the store's window ends: leased points die with it. */
  expiresAt: number;
  /** Set while the store refused the key: refusals are answered here until then. */
  blockedUntil: number;
}

/**
 * A limiter for a cap checked on every request (600 a minute per caller) that holds across
 * processes without a store round trip per request. Each process **leases** points from the shared
 * store (`createRateLimiter`: PostgreSQL or Redis) in chunks — one `consume(key, n)` — and hands
 * them out from memory until they are spent or the store's window ends; a refusal from the store
 * is remembered until the window ends, so a caller over the limit costs no store trips either.
 *
 * The bound: every point handed out was granted by the store, so **no more than `points` requests
 * per key and window pass across all processes** (the limit is exact from above). A chunk is at
 * most `maxLease` and at most a quarter of what the store had left on the previous trip, so close
 * to the limit the chunks shrink to one point and the store decides each request. The price is on
 * the other side: points a process leased and did not use die with the window, so a caller spread
 * over `k` processes may be refused up to `(k − 1) × maxLease` points early; with one process,
 * never. A chunk larger than what is left (another process spent it meanwhile) is given back and
 * one point is asked for instead.
 */
export function createLeasedRateLimiter(options: LeasedRateLimiterOptions): RateLimiter {
  const store = createRateLimiter(options);
  const limit = store.limit;
  const maxLease = Math.max(1, options.maxLease ?? Math.min(50, Math.floor(limit / 20)));
  const windowMs = options.durationSeconds * 1000;
  const leases = new Map<string, Lease>();
  const trips = new Map<string, Promise<void>>();
  let nextSweepAt = Date.now() + windowMs;

  function sweep(now: number) {
    if (now < nextSweepAt) return;
    for (const [key, lease] of leases)
      if (lease.expiresAt <= now && lease.blockedUntil <= now) leases.delete(key);
    nextSweepAt = now + windowMs;
  }

  /** One trip to the store for `key`: a new lease, or the store's refusal remembered. */
  async function lease(key: string): Promise<void> {
    const known = leases.get(key);
    const now = Date.now();
    const storeRemaining = known && known.expiresAt > now ? known.storeRemaining : limit;
    const chunk = Math.max(1, Math.min(maxLease, Math.floor(storeRemaining / 4)));
    let decision = await store.consume(key, chunk);
    if (!decision.allowed && chunk > 1) {
      // Fewer than `chunk` were left: give them back and ask for the last points one at a time.
      await store.reward(key, chunk);
      decision = await store.consume(key, 1);
      const granted = decision.allowed ? 1 : 0;
      record(key, decision, granted);
      return;
    }
    record(key, decision, decision.allowed ? chunk : 0);
  }

  function record(key: string, decision: RateLimitDecision, granted: number) {
    const now = Date.now();
    const expiresAt = now + decision.resetAfterMs;
    const lease = leases.get(key);
    const live = lease && lease.expiresAt > now ? lease.points : 0;
    leases.set(key, {
      points: live + granted,
      storeRemaining: decision.allowed ? decision.remaining : 0,
      expiresAt,
      blockedUntil: decision.allowed ? 0 : now + decision.retryAfterSeconds * 1000,
    });
  }

  function take(key: string, now: number): RateLimitDecision | undefined {
    const lease = leases.get(key);
    if (!lease) return undefined;
    if (lease.blockedUntil > now) {
      const resetAfterMs = lease.blockedUntil - now;
      return {
        allowed: false,
        limit,
        remaining: 0,
        resetAfterMs,
        retryAfterSeconds: Math.max(1, Math.ceil(resetAfterMs / 1000)),
      };
    }
    if (lease.expiresAt <= now || lease.points < 1) return undefined;
    lease.points -= 1;
    return {
      allowed: true,
      limit,
      remaining: Math.max(0, lease.storeRemaining + lease.points),
      resetAfterMs: lease.expiresAt - now,
      retryAfterSeconds: 0,
    };
  }

  return {
    keyPrefix: store.keyPrefix,
    limit,
    async consume(key, points = 1) {
      // Several points at once (rare) go straight to the store.
      if (points !== 1) return store.consume(key, points);
      for (;;) {
        const now = Date.now();
        sweep(now);
        const local = take(key, now);
        if (local) return local;
        // Concurrent requests of one caller share one trip, then take from its lease.
        let trip = trips.get(key);
        if (!trip) {
          trip = lease(key).finally(() => trips.delete(key));
          trips.set(key, trip);
        }
        await trip;
        const after = take(key, Date.now());
        if (after) return after;
      }
    },
    async reward(key, points = 1) {
      leases.delete(key);
      await store.reward(key, points);
    },
    async delete(key) {
      leases.delete(key);
      await store.delete(key);
    },
    async block(key, seconds) {
      leases.delete(key);
      await store.block(key, seconds);
    },
    async get(key) {
      const decision = await store.get(key);
      const lease = leases.get(key);
      const unspent = lease && lease.expiresAt > Date.now() ? lease.points : 0;
      // Leased points not handed out yet are still this caller's.
      return { ...decision, consumed: Math.max(0, decision.consumed - unspent) };
    },
  };
}
