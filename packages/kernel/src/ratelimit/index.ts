export {
  BRUTE_FORCE_DEFAULTS,
  type BruteForceAttempt,
  BruteForceGuard,
  type BruteForceGuardOptions,
  type BruteForceStatus,
} from './brute-force-guard.js';
export {
  createRateLimiter,
  RATE_LIMIT_SCHEMA,
  RATE_LIMIT_TABLE,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitStore,
  rateLimitHeaders,
} from './rate-limiter.js';
export { createLeasedRateLimiter, type LeasedRateLimiterOptions } from './leased-rate-limiter.js';
export { LocalWindowLimiter, type LocalWindowLimiterOptions } from './local-window-limiter.js';
export { createRedisClient } from './redis-client.js';
