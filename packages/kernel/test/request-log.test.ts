import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import pino from 'pino';
import { redactUrl } from '../src/http/redact-url.js';
import { credentialRedaction, loggerOptions } from '../src/runtime/platform.js';
import { captureLogs } from '../src/testkit/captured-logs.js';
import { testHttpApp } from './support/test-http-app.js';

test('credential-like query parameters are masked, others kept', () => {
  assert.equal(redactUrl('/api/x'), '/api/x');
  assert.equal(redactUrl('/api/x?page=2'), '/api/x?page=2');
  assert.equal(
    redactUrl('/verify?token=abc&page=2&password=p&X-Sig=1&api_key=k'),
    '/verify?token=%5Bredacted%5D&page=2&password=%5Bredacted%5D&X-Sig=%5Bredacted%5D&api_key=%5Bredacted%5D',
  );
});

async function appWith(logger: pino.Logger) {
  const app = await testHttpApp({ logger });
  app.get('/sessions/:sessionId', async () => ({ ok: true }));
  app.get('/quiet/:token', { logLevel: 'warn' }, async () => ({ ok: true }));
  app.get('/logs-its-request/:token', async (request) => {
    request.log.warn({ req: request }, 'something about this request');
    return { ok: true };
  });
  app.get('/chatty', { logLevel: 'debug' }, async (request) => {
    request.log.debug({ step: 1 }, 'detail');
    request.log.child({ part: 'inner' }).info('from a child');
    return { ok: true };
  });
  app.get('/fails', async () => {
    throw new Error('boom');
  });
  return app;
}

describe('request logs', () => {
  test('one line per request: request id, method, route pattern, status and duration', async () => {
    const { logger, lines } = captureLogs();
    const app = await appWith(logger);
    const response = await app.inject({
      method: 'GET',
      url: '/sessions/sess_secret-in-path?token=very-secret-token&view=full',
      headers: { 'x-request-id': 'req-1' },
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['x-request-id'], 'req-1');
    await app.close();
    const requestLines = lines.filter((line) => line.requestId === 'req-1');
    assert.equal(requestLines.length, 1, JSON.stringify(lines));
    const [line] = requestLines as [Record<string, unknown>];
    assert.equal(line.msg, 'request completed');
    assert.equal(line.method, 'GET');
    assert.equal(line.route, '/sessions/:sessionId');
    assert.equal(line.statusCode, 200);
    assert.equal(typeof line.durationMs, 'number');
    assert.equal(line.level, 30);
    const text = JSON.stringify(lines);
    assert.doesNotMatch(text, /very-secret-token/);
    assert.doesNotMatch(text, /sess_secret-in-path/, 'the path is logged as its pattern, never raw');
    assert.doesNotMatch(text, /incoming request/);
  });

  test('a request that matched no route logs its path, with credential-like query values masked', async () => {
    const { logger, lines } = captureLogs();
    const app = await appWith(logger);
    const response = await app.inject({ method: 'GET', url: '/nowhere?token=very-secret-token&view=full' });
    assert.equal(response.statusCode, 404);
    await app.close();
    const [line] = lines.filter((entry) => entry.msg === 'request completed') as [Record<string, unknown>];
    assert.equal(line.route, null);
    assert.equal(line.statusCode, 404);
    assert.match(String(line.url), /^\/nowhere\?token=%5Bredacted%5D&view=full$/);
    assert.doesNotMatch(JSON.stringify(lines), /very-secret-token/);
  });

  test("an error answer is logged once with its status; a route's logLevel still applies", async () => {
    const { logger, lines } = captureLogs();
    const app = await appWith(logger);
    assert.equal((await app.inject({ method: 'GET', url: '/fails' })).statusCode, 500);
    await app.inject({ method: 'GET', url: '/quiet/abc' });
    await app.close();
    const completed = lines.filter((line) => line.msg === 'request completed');
    assert.deepEqual(
      completed.map((line) => [line.route, line.statusCode]),
      [['/fails', 500]],
    );
  });

  test('a log line that carries the request shows its route pattern, not its URL', async () => {
    const { logger, lines } = captureLogs();
    const app = await appWith(logger);
    await app.inject({ method: 'GET', url: '/logs-its-request/tok_very-secret?code=also-secret' });
    await app.close();
    const [line] = lines.filter((entry) => entry.msg === 'something about this request') as [
      Record<string, unknown>,
    ];
    assert.deepEqual((line.req as Record<string, unknown>).route, '/logs-its-request/:token');
    assert.doesNotMatch(JSON.stringify(lines), /secret/);
  });

  test("request.log carries the request id; a route's own logLevel (below the platform's) applies", async () => {
    const { logger, lines } = captureLogs('info');
    const app = await appWith(logger);
    await app.inject({ method: 'GET', url: '/chatty', headers: { 'x-request-id': 'req-chatty' } });
    await app.close();
    const ofRequest = lines.filter((line) => line.requestId === 'req-chatty');
    assert.deepEqual(
      ofRequest.map((line) => line.msg),
      ['detail', 'from a child', 'request completed'],
    );
    assert.equal(ofRequest[0]?.step, 1);
    assert.equal(ofRequest[1]?.part, 'inner');
  });

  test("headers with credentials are masked, the service's own ones included", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino(loggerOptions({ logLevel: 'info' }), sink).child(
      { service: 'test' },
      { redact: credentialRedaction(['X-Api-Key']) },
    );
    logger.info({ headers: { authorization: 'Bearer secret-1', 'x-api-key': 'secret-2', accept: '*/*' } });
    logger.info({ req: { headers: { cookie: 'sid=secret-3' }, method: 'GET', url: '/' } });
    const text = lines.join('');
    assert.doesNotMatch(text, /secret-[123]/);
    assert.match(text, /\*\/\*/);
  });
});
