import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createHttpApp } from '../src/http/create-http-app.js';
import { ServiceError } from '../src/http/errors.js';
import { paddedJsonBody, streamRequest } from '../src/testkit/stream-request.js';

describe('a request refused before its body is read', () => {
  let app: FastifyInstance;
  let base: string;
  const sockets: Socket[] = [];

  before(async () => {
    app = await createHttpApp({
      service: 'test',
      title: 'test',
      version: '0',
      logger: pino({ level: 'silent' }),
      renderError: (error) => ({ statusCode: error.statusCode, body: { message: error.message } }),
      bodyLimit: 64 * 1024 * 1024,
      docs: false,
    });
    app.addHook('onRequest', async (request) => {
      if (request.headers['x-key'] !== 'right') throw new ServiceError(401, 'unauthenticated', 'bad key');
    });
    app.post('/echo', async (request) => ({ size: JSON.stringify(request.body).length }));
    app.get('/echo', async () => ({ size: 0 }));
    app.server.on('connection', (socket: Socket) => sockets.push(socket));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('not listening');
    base = `http://127.0.0.1:${address.port}`;
  });
  after(async () => app?.close());

  it('is answered at once, its connection cut after a bounded drain, so the rest of the body is never read', async () => {
    const total = 48 * 1024 * 1024;
    const response = await streamRequest({
      url: `${base}/echo`,
      headers: { 'content-type': 'application/json', 'x-key': 'wrong' },
      body: paddedJsonBody(total),
      contentLength: total,
    });
    assert.equal(response.statusCode, 401);
    assert.deepEqual(JSON.parse(response.body), { message: 'bad key' });
    assert.equal(response.finishedSending, false);
    const socket = sockets.at(-1);
    assert.ok(socket);
    if (!socket.destroyed) await new Promise((closed) => socket.once('close', closed));
    assert.ok(socket.bytesRead < total / 4, `server read ${socket.bytesRead} of ${total} bytes`);
  });

  it('keeps the connection of an accepted request or of one that carries no body', async () => {
    const accepted = await streamRequest({
      url: `${base}/echo`,
      headers: { 'content-type': 'application/json', 'x-key': 'right' },
      body: paddedJsonBody(1024),
      contentLength: 1024,
    });
    assert.equal(accepted.statusCode, 200);
    assert.notEqual(accepted.headers.connection, 'close');
    const bodiless = await app.inject({ method: 'GET', url: '/echo', headers: { 'x-key': 'wrong' } });
    assert.equal(bodiless.statusCode, 401);
    assert.notEqual(bodiless.headers.connection, 'close');
  });
});
