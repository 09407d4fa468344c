import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis client for shared counters (`REDIS_URL`). It connects on first use, and a command fails
 * after one reconnection attempt instead of queueing forever, so a Redis outage reaches the rate
 * limiter's in-memory fallback quickly. The caller owns it: `quit()` it on shutdown.
 */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    ...options,
  });
  // Without a listener ioredis reports every failed reconnection as an unhandled error event.
  client.on('error', () => undefined);
  return client;
}
