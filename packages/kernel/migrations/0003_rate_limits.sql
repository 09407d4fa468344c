-- Counters of rate-limiter-flexible's RateLimiterPostgres (kernel ratelimit/), shared by every limiter:
-- keys carry their limiter's prefix. The library inserts positional values, so the columns and their
-- order are its own (key, points, expire); key is text rather than its varchar(255).
-- expire is epoch milliseconds, NULL for a key that never expires.
CREATE TABLE IF NOT EXISTS rate_limits (
  key text PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);

-- The library deletes rows expired for over an hour every five minutes.
CREATE INDEX IF NOT EXISTS rate_limits_expire_idx ON rate_limits (expire);
