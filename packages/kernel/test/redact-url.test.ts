import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Fastify from 'fastify';
import pino from 'pino';
import { redactUrl } from '../src/http/redact-url.js';
import { loggerOptions } from '../src/runtime/platform.js';

test('credential-like query parameters are masked, others kept', () => {
  assert.equal(redactUrl('/api/x'), '/api/x');
  assert.equal(redactUrl('/api/x?page=2'), '/api/x?page=2');
  assert.equal(
    redactUrl('/verify?token=abc&page=2&password=p&X-Sig=1&api_key=k'),
    '/verify?token=%5Bredacted%5D&page=2&password=%5Bredacted%5D&X-Sig=%5Bredacted%5D&api_key=%5Bredacted%5D',
  );
});

test('request logs of the platform logger never carry a query token', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  // The platform logger's options, written to a sink the test can read.
  const logger = pino(loggerOptions({ logLevel: 'info' }), sink);
  const app = Fastify({ loggerInstance: logger });
  app.get('/session', async () => ({ ok: true }));
  await app.inject({ method: 'GET', url: '/session?token=very-secret-token&view=full' });
  await app.close();
  const log = lines.join('');
  assert.match(log, /incoming request/);
  assert.doesNotMatch(log, /very-secret-token/);
  assert.match(log, /view=full/);
});
