import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  assertAnsweredUnread,
  paddedBody,
  type StreamedResponse,
  streamRequest,
} from '@trustplane/kernel/testkit';
import { errorCode, type Harness, multipartBody, startHarness } from './support/harness.js';

let h: Harness;
let port: number;
before(async () => {
  h = await startHarness();
  await h.booted.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.booted.app.server.address() as AddressInfo).port;
});
after(async () => h?.close());

/** A `total`-byte body (after `head`, if any) over real HTTP; the client stops writing once answered. */
function streamBody(options: {
  method: string;
  path: string;
  headers: Record<string, string>;
  total: number;
  head?: Buffer;
}): Promise<StreamedResponse> {
  return streamRequest({
    url: `http://127.0.0.1:${port}${options.path}`,
    method: options.method,
    headers: options.headers,
    body: paddedBody(options.total, options.head),
    contentLength: options.total,
  });
}

describe('credentials are checked before the body is read', () => {
  test('a 60 MB upload with a bad token is refused 401 before the body is sent', async () => {
    const total = 60 * 1024 * 1024;
    const { headers } = multipartBody([{ field: 'file', filename: 'x.bin', data: '' }]);
    const head = Buffer.from(
      `--${headers['content-type']!.split('boundary=')[1]}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    const outcome = await streamBody({
      method: 'POST',
      path: '/upload',
      headers: { ...headers, authorization: 'Bearer not-a-token' },
      total,
      head,
    });
    assert.equal(assertAnsweredUnread<{ error: { code: string } }>(outcome, 401).error.code, 'invalid_token');
    assert.ok(
      outcome.bytesSentBeforeResponse < total / 10,
      `answered after ${outcome.bytesSentBeforeResponse} of ${total} bytes`,
    );
  });

  test('a JSON body with no token is 401 (not 413, not parsed), before it is sent', async () => {
    const total = 60 * 1024 * 1024;
    const outcome = await streamBody({
      method: 'PATCH',
      path: `/media/${randomUUID()}`,
      headers: { 'content-type': 'application/json' },
      total,
      head: Buffer.from('{"original_name":"'),
    });
    assert.equal(
      assertAnsweredUnread<{ error: { code: string } }>(outcome, 401).error.code,
      'unauthenticated',
    );
    assert.ok(
      outcome.bytesSentBeforeResponse < total / 10,
      `answered after ${outcome.bytesSentBeforeResponse} of ${total} bytes`,
    );
  });

  test('a token without the route permission is 403 before the body is read', async () => {
    const user = await h.user({ permissions: ['media:list'] });
    const outcome = await streamBody({
      method: 'POST',
      path: '/upload',
      headers: { ...multipartBody([]).headers, authorization: user.auth.authorization },
      total: 20 * 1024 * 1024,
    });
    assertAnsweredUnread(outcome, 403);
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
