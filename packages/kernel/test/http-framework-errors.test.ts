import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ErrorRenderer, NormalizedHttpError } from '../src/http/errors.js';
import { testHttpApp } from './support/test-http-app.js';

/** A renderer whose envelope no Fastify default body could be mistaken for. */
const renderError: ErrorRenderer = (error: NormalizedHttpError, request) => ({
  statusCode: error.statusCode,
  body: { envelope: 'test', kind: error.kind, message: error.message, requestId: request.id },
});

/** Sends raw bytes and returns the raw HTTP response (the server closes the connection). */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let response = '';
    socket.on('data', (chunk) => {
      response += chunk;
    });
    socket.on('close', () => resolve(response));
    socket.on('error', reject);
  });
}

function parseRaw(response: string): { status: number; headers: Record<string, string>; body: unknown } {
  const [head = '', body = ''] = response.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => {
      const separator = line.indexOf(':');
      return [line.slice(0, separator).toLowerCase(), line.slice(separator + 1).trim()];
    }),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) };
}

const testApp = () => testHttpApp({ renderError });

describe('framework errors go through the service renderer', () => {
  let app: FastifyInstance;
  let port: number;
  before(async () => {
    app = await testApp();
    app.get('/items/:id', async (request) => ({ id: (request.params as { id: string }).id }));
    app.post('/items', async () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as net.AddressInfo).port;
  });
  after(async () => {
    await app.close();
  });

  test('bad percent-encoding is 400 bad_url in the envelope, with a request id', async () => {
    for (const url of ['/items/%E0%A4%A', '/%zz', '/unknown/%E0']) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 400, url);
      const body = response.json();
      assert.equal(body.envelope, 'test');
      assert.equal(body.kind, 'bad_url');
      assert.ok(!JSON.stringify(body).includes('FST_'), 'no Fastify code leaks');
      assert.equal(response.headers['x-request-id'], body.requestId);
      assert.match(String(response.headers['content-type']), /^application\/json/);
    }
  });

  test('an over-long path parameter is 414 uri_too_long in the envelope', async () => {
    const response = await app.inject({ method: 'GET', url: `/items/${'a'.repeat(500)}` });
    assert.equal(response.statusCode, 414);
    assert.equal(response.json().kind, 'uri_too_long');
    assert.ok(response.headers['x-request-id']);
    // The limit is only on parameters: the same length as a plain unknown path is a 404.
    const unknown = await app.inject({ method: 'GET', url: `/nothing/${'a'.repeat(500)}` });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().kind, 'not_found');
  });

  test('an unparseable Content-Type is 415 in the envelope', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/items',
      headers: { 'content-type': ';;;' },
      payload: '{}',
    });
    assert.equal(response.statusCode, 415);
    assert.equal(response.json().envelope, 'test');
    assert.equal(response.json().kind, 'unsupported_media_type');
  });

  test('a request Node cannot parse gets the envelope on the raw socket', async () => {
    const malformed = parseRaw(await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'));
    assert.equal(malformed.status, 400);
    assert.deepEqual(
      {
        envelope: (malformed.body as Record<string, unknown>).envelope,
        kind: (malformed.body as Record<string, unknown>).kind,
      },
      { envelope: 'test', kind: 'client' },
    );
    assert.equal(malformed.headers['x-request-id'], (malformed.body as { requestId: string }).requestId);

    const huge = parseRaw(
      await rawRequest(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    );
    assert.equal(huge.status, 431);
    assert.equal((huge.body as Record<string, unknown>).envelope, 'test');
    assert.equal((huge.body as Record<string, unknown>).kind, 'headers_too_large');
  });
});

test('an async constraint that throws is a 500 internal error in the envelope', async () => {
  const app = await testApp();
  app.addConstraintStrategy({
    name: 'tenant',
    storage() {
      const handlers = new Map<string, unknown>();
      return {
        get: (value: string) => (handlers.get(value) ?? null) as never,
        set: (value: string, handler: unknown) => {
          handlers.set(value, handler);
        },
      };
    },
    // Three parameters: an asynchronous strategy; this one always fails.
    deriveConstraint: (_request: unknown, _context: unknown, done: (error: Error | null) => void) => {
      done(new Error('tenant lookup failed'));
    },
  } as never);
  app.get('/tenant', { constraints: { tenant: 'a' } }, async () => ({ ok: true }));
  await app.ready();
  const response = await app.inject({ method: 'GET', url: '/tenant' });
  await app.close();
  assert.equal(response.statusCode, 500);
  assert.deepEqual(
    { envelope: response.json().envelope, kind: response.json().kind },
    { envelope: 'test', kind: 'internal' },
  );
  assert.ok(!response.body.includes('tenant lookup failed'), 'the internal reason is not shown');
  assert.ok(response.headers['x-request-id']);
});
