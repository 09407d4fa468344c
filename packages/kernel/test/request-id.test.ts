import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newRequestId } from '../src/http/request-id.js';
import { captureLogs } from '../src/testkit/captured-logs.js';
import { testHttpApp } from './support/test-http-app.js';

/** What `crypto.randomUUID()` gives: a version 4, RFC 9562 variant UUID in lower case. */
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  test('minted ids are random version 4 UUIDs, distinct across many pool refills', () => {
    const ids = new Set<string>();
    for (let index = 0; index < 5_000; index += 1) {
      const id = newRequestId();
      assert.match(id, UUID_V4);
      ids.add(id);
    }
    assert.equal(ids.size, 5_000);
    // Every hex digit outside the fixed version/variant positions shows up (not a counter or a constant).
    const digits = new Set([...ids].flatMap((id) => [...id.slice(0, 8)]));
    assert.equal(digits.size, 16);
  });

  test('a request without an id gets a fresh UUID in X-Request-Id and its log line; a valid one is kept', async () => {
    const { logger, lines } = captureLogs();
    const app = await testHttpApp({ logger });
    app.get('/ping', async () => ({ ok: true }));
    const first = await app.inject({ method: 'GET', url: '/ping' });
    const second = await app.inject({ method: 'GET', url: '/nowhere' });
    const kept = await app.inject({ method: 'GET', url: '/ping', headers: { 'x-request-id': 'caller-1' } });
    const replaced = await app.inject({
      method: 'GET',
      url: '/ping',
      headers: { 'x-request-id': 'bad id\u00e9' },
    });
    await app.close();
    const minted = [first, second, replaced].map((response) => String(response.headers['x-request-id']));
    for (const id of minted) assert.match(id, UUID_V4);
    assert.equal(new Set(minted).size, 3);
    assert.equal(kept.headers['x-request-id'], 'caller-1');
    const logged = lines.map((line) => line.requestId);
    for (const id of [...minted, 'caller-1'])
      assert.ok(logged.includes(id), `${id} in ${JSON.stringify(logged)}`);
  });
});
