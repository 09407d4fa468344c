import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { errorCode, type Harness, multipartBody, startHarness } from './support/harness.js';

let h: Harness;
let port: number;
before(async () => {
  h = await startHarness();
  await h.booted.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.booted.app.server.address() as AddressInfo).port;
});
after(async () => h?.close());

interface StreamedOutcome {
  status: number | undefined;
  body: string;
  /** Bytes the client had handed to the socket when the answer arrived. */
  sentWhenAnswered: number;
  /** Whether the whole body could be sent: false when the server closed the connection first. */
  sentAll: boolean;
  total: number;
}

/**
 * Sends a `total`-byte body in 64 KiB chunks, one per event-loop turn, and stops writing once the
 * server has answered and closed the connection. Real HTTP: `inject` would hand the whole body over
 * at once and could not show whether the server read it.
 */
function streamBody(options: {
  method: string;
  path: string;
  headers: Record<string, string>;
  total: number;
  head?: Buffer;
}): Promise<StreamedOutcome> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    let sentWhenAnswered = -1;
    let status: number | undefined;
    let body = '';
    let finished = false;
    let closed = false;
    const request = http.request({
      host: '127.0.0.1',
      port,
      method: options.method,
      path: options.path,
      headers: { ...options.headers, 'content-length': String(options.total) },
    });
    const settle = () => {
      if (finished) return;
      finished = true;
      resolve({ status, body, sentWhenAnswered, sentAll: sent >= options.total, total: options.total });
    };
    request.on('response', (response) => {
      sentWhenAnswered = sent;
      status = response.statusCode;
      response.setEncoding('utf8');
      response.on('data', (data: string) => {
        body += data;
      });
      response.on('end', () => {
        // Give the server's close a moment to reach the socket before judging.
        setTimeout(settle, 50);
      });
    });
    request.on('close', () => {
      closed = true;
      // Closed without an answer (a reset that beat the response): the assertions on status say so.
      if (status !== undefined || sentWhenAnswered === -1) setTimeout(settle, status === undefined ? 0 : 50);
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      // The server closing while we still write is the expected end; anything before an answer is not.
      if (status === undefined && !['EPIPE', 'ECONNRESET'].includes(error.code ?? '')) reject(error);
    });
    const pump = () => {
      if (closed || request.destroyed || finished) return;
      if (sent >= options.total) {
        request.end();
        return;
      }
      const next = sent === 0 && options.head ? options.head : chunk;
      const slice = next.subarray(0, Math.min(next.length, options.total - sent));
      sent += slice.length;
      request.write(slice, () => setImmediate(pump));
    };
    pump();
  });
}

describe('credentials are checked before the body is read', () => {
  test('a 60 MB upload with a bad token is refused 401 before the body is sent, and the connection is closed', async () => {
    const { headers } = multipartBody([{ field: 'file', filename: 'x.bin', data: '' }]);
    const head = Buffer.from(
      `--${headers['content-type']!.split('boundary=')[1]}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    const outcome = await streamBody({
      method: 'POST',
      path: '/upload',
      headers: { ...headers, authorization: 'Bearer not-a-token' },
      total: 60 * 1024 * 1024,
      head,
    });
    assert.equal(outcome.status, 401, outcome.body);
    assert.equal(JSON.parse(outcome.body).error.code, 'invalid_token');
    assert.ok(
      outcome.sentWhenAnswered < outcome.total / 10,
      `answered after ${outcome.sentWhenAnswered} of ${outcome.total} bytes`,
    );
    assert.equal(outcome.sentAll, false, 'the server closed the connection instead of reading the rest');
  });

  test('a JSON body with no token is 401 (not 413, not parsed), before it is sent', async () => {
    const outcome = await streamBody({
      method: 'PATCH',
      path: `/media/${randomUUID()}`,
      headers: { 'content-type': 'application/json' },
      total: 8 * 1024 * 1024,
      head: Buffer.from('{"original_name":"'),
    });
    assert.equal(outcome.status, 401, outcome.body);
    assert.equal(JSON.parse(outcome.body).error.code, 'unauthenticated');
    assert.ok(outcome.sentWhenAnswered < outcome.total / 10);
    assert.equal(outcome.sentAll, false);
  });

  test('a token without the route permission is 403 before the body is read', async () => {
    const user = await h.user({ permissions: ['media:list'] });
    const outcome = await streamBody({
      method: 'POST',
      path: '/upload',
      headers: { ...multipartBody([]).headers, authorization: user.auth.authorization },
      total: 20 * 1024 * 1024,
    });
    assert.equal(outcome.status, 403, outcome.body);
    assert.equal(outcome.sentAll, false);
  });

  test('an authenticated JSON body over the route limit is 413; within it, it is processed', async () => {
    const user = await h.user();
    const tooLarge = await h.call({
      method: 'POST',
      url: '/starred/check',
      headers: { ...user.auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ media_ids: Array.from({ length: 1000 }, () => randomUUID()) }),
    });
    assert.equal(tooLarge.statusCode, 413, tooLarge.body);
    assert.equal(errorCode(tooLarge), 'body_too_large');
    const largest = await h.call({
      method: 'POST',
      url: '/starred/check',
      headers: user.auth,
      payload: { media_ids: Array.from({ length: 100 }, () => randomUUID()) },
    });
    assert.equal(largest.statusCode, 200, largest.body);
  });
});

describe('only access tokens are accepted', () => {
  test('refresh and password-reset tokens of account are 401 as bearer, and in share-link checks', async () => {
    const owner = await h.user();
    const upload = await h.upload(owner, { name: 'a.txt', type: 'text/plain', data: Buffer.from('x') });
    assert.equal(upload.statusCode, 201, upload.body);
    const link = await h.call({
      method: 'POST',
      url: `/media/${upload.json().id}/share`,
      headers: owner.auth,
      payload: { visibility: 'restricted' },
    });
    assert.equal(link.statusCode, 201, link.body);
    for (const tokenUse of ['refresh', 'password_reset']) {
      const token = await h.account.token({ sub: owner.sub, org_id: owner.orgId, token_use: tokenUse });
      const listed = await h.call({
        method: 'GET',
        url: '/media',
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(listed.statusCode, 401, tokenUse);
      assert.equal(errorCode(listed), 'invalid_token');
      const shared = await h.call({
        method: 'GET',
        url: `/share/${link.json().token}`,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(shared.statusCode, 401, tokenUse);
      assert.equal(errorCode(shared), 'invalid_token');
    }
    const access = await h.call({ method: 'GET', url: `/share/${link.json().token}`, headers: owner.auth });
    assert.equal(access.statusCode, 200);
  });
});
