import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type BootedService, bootService, Contract } from '@trustplane/kernel/testkit';
import { loadServices } from '../src/services.js';

const allServices = await loadServices();

/** The platform surface every HTTP service must have, checked on each of them. */
for (const definition of allServices) {
  describe(`${definition.name}: platform surface`, () => {
    let booted: BootedService;
    before(async () => {
      booted = await bootService(definition);
    });
    after(async () => {
      await booted.close();
    });

    test('declares the seed it implements, and the seed loads', () => {
      assert.ok(definition.seed, 'the definition names its seed (the kernel names none)');
      const contract = Contract.forService(definition);
      assert.ok(contract.operations().length > 0);
      contract.compileAll();
    });

    test('serves an OpenAPI document generated from its routes', async () => {
      const response = await booted.app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(response.statusCode, 200);
      const document = response.json() as {
        openapi: string;
        info: { title: string };
        paths: Record<string, unknown>;
      };
      assert.match(document.openapi, /^3\./);
      assert.equal(document.info.title, booted.app.swagger().info.title);
      assert.ok(Object.keys(document.paths).length > 0, 'documents at least its health route');
      assert.ok(!('/metrics' in document.paths), 'platform routes stay out of the API document');
    });

    test('serves interactive docs from the npm package, no CDN', async () => {
      const response = await booted.app.inject({ method: 'GET', url: '/docs/' });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /text\/html/);
      assert.doesNotMatch(response.body, /https?:\/\/(cdn|unpkg|cdnjs)/);
    });

    test('exposes Prometheus metrics labelled by route template', async () => {
      await booted.app.inject({ method: 'GET', url: '/this/path/does/not/exist/12345' });
      const response = await booted.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /text\/plain/);
      assert.match(response.body, /http_requests_total\{/);
      assert.match(response.body, /http_request_duration_seconds_bucket\{/);
      assert.doesNotMatch(response.body, /12345/, 'raw paths never become labels');
    });

    test('returns a request id, keeping a safe caller id and replacing an unsafe one', async () => {
      const minted = await booted.app.inject({ method: 'GET', url: '/metrics' });
      assert.match(String(minted.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      const kept = await booted.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { 'x-request-id': 'caller-123' },
      });
      assert.equal(kept.headers['x-request-id'], 'caller-123');
      const unsafe = await booted.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { 'x-request-id': 'bad id\twith spaces' },
      });
      assert.notEqual(unsafe.headers['x-request-id'], 'bad id\twith spaces');
    });

    test('answers an unknown route with 404 in JSON, never a 500', async () => {
      const response = await booted.app.inject({
        method: 'POST',
        url: '/no-such-route',
        payload: '{bad json',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(response.statusCode, 404);
      assert.match(String(response.headers['content-type']), /application\/json/);
      assert.ok(response.body.length > 0);
    });
  });
}
