import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { REDIS_REVOCATION_CHANNEL } from '@trustplane/kernel';
import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { assertError, bearer, Harness, PASSWORD, testEnv } from './helpers.js';

// A private redis-server for this file: shared counters and revocation broadcast over Redis.
testEnv({ ACCOUNT_RATE_LIMIT_REGISTER_PER_MINUTE: '3' });

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let redisServer: ChildProcess;
let redisUrl: string;
let h: Harness;
before(async () => {
  const port = await freePort();
  redisServer = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  redisUrl = `redis://127.0.0.1:${port}`;
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0 });
  probe.on('error', () => undefined);
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch {
      probe.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  probe.disconnect();
  h = await Harness.boot({ REDIS_URL: redisUrl });
});
after(async () => {
  await h?.close();
  redisServer?.kill('SIGTERM');
});

describe('with REDIS_URL', () => {
  test('health reports redis; the register window is counted in Redis', async () => {
    const health = await h.call({ method: 'GET', url: '/health/detailed' });
    assert.equal(health.json().dependencies.redis.status, 'ok');
    for (let i = 0; i < 3; i++) await h.register({ ip: '203.0.113.77' });
    const limited = await h.call({
      method: 'POST',
      url: '/api/v1/auth/register',
      remoteAddress: '203.0.113.77',
      payload: { email: 'redis-late@example.com', password: PASSWORD, display_name: 'Late' },
    });
    assertError(limited, 429, 4008);
    const client = new Redis(redisUrl);
    const keys = await client.keys('*account.register*');
    client.disconnect();
    assert.ok(keys.length > 0);
  });

  test('a revocation broadcast on Redis by another process applies at once', async () => {
    const user = await h.register({ ip: '203.0.113.78' });
    assert.equal(
      (await h.call({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(user.accessToken) }))
        .statusCode,
      200,
    );
    const claims = decodeJwt(user.accessToken);
    const publisher = new Redis(redisUrl);
    await publisher.publish(
      REDIS_REVOCATION_CHANNEL,
      JSON.stringify([['token', claims.jti, (claims.exp as number) * 1000]]),
    );
    publisher.disconnect();
    let status = 200;
    for (let attempt = 0; attempt < 100 && status === 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (
        await h.app.inject({ method: 'GET', url: '/api/v1/auth/whoami', headers: bearer(user.accessToken) })
      ).statusCode;
    }
    assert.equal(status, 401);
  });

  test('health is 503 when Redis goes away', async () => {
    redisServer.kill('SIGTERM');
    await new Promise((resolve) => redisServer.once('exit', resolve));
    const health = await h.call({ method: 'GET', url: '/health/detailed' });
    assert.equal(health.statusCode, 503);
    assert.equal(health.json().status, 'degraded');
    assert.equal(health.json().dependencies.redis.status, 'down');
    assert.equal(health.json().dependencies.postgres.status, 'ok');
  });
});
