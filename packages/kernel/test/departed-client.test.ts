import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { testHttpApp } from './support/test-http-app.js';

// A balancer that gives up on a queued request closes its connection; the service may still run
// the request after that. Every limiter, lockout and log line keyed by `request.ip` must then
// still see the client's address, never `undefined` (account's limiter threw a TypeError on it).
test('request.ip keeps the client address after the client has gone', async () => {
  const app = await testHttpApp();
  const seen: Array<string | undefined> = [];
  let handled!: () => void;
  const done = new Promise<void>((resolve) => {
    handled = resolve;
  });
  app.get('/slow', async (request) => {
    await delay(300);
    seen.push(request.ip);
    handled();
    return { ok: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const { port } = app.server.address() as net.AddressInfo;
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('error', () => {});
    socket.write('GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await delay(50);
    socket.destroy(); // gone before the handler reads request.ip
    await done;
    assert.deepEqual(seen, ['127.0.0.1']);
  } finally {
    await app.close();
  }
});
