import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { after, before, beforeEach, describe, test } from 'node:test';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { createLocalObjectStore, type LocalObjectStore, objectRoutes } from '../src/objects/index.js';

const SECRET = 'presign-test-secret-0123456789abcdef';
const BASE_URL = 'http://objects.test';
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Path and query of a presigned URL, for `app.inject`. */
function target(url: string): string {
  const parsed = new URL(url);
  assert.equal(parsed.origin, BASE_URL);
  return parsed.pathname + parsed.search;
}

function withParam(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(name, value);
  return parsed.pathname + parsed.search;
}

function errorCode(response: LightMyRequestResponse): string {
  return (response.json() as { error: string }).error;
}

describe('presigned object URLs through objectRoutes', () => {
  let rootDir: string;
  let store: LocalObjectStore;
  let app: FastifyInstance;
  let clockMs: number;

  async function assertNothingStored(key: string): Promise<void> {
    assert.equal(await store.head(key), undefined, `${key} must not exist`);
    const staged = await fs.readdir(path.join(rootDir, '.staging')).catch(() => []);
    assert.deepEqual(staged, [], 'no staging leftovers');
  }

  before(async () => {
    rootDir = await fs.mkdtemp(path.join(os.tmpdir(), 'objects-presign-'));
    store = createLocalObjectStore({
      rootDir,
      signingSecret: SECRET,
      publicBaseUrl: BASE_URL,
      signingScope: 'test',
      now: () => clockMs,
    });
    app = Fastify();
    await app.register(objectRoutes, { store });
    // A sibling route: the plugin's raw body parser must not leak out of its scope.
    app.post('/json', async (request) => ({ received: request.body }));
    await app.ready();
  });
  beforeEach(() => {
    clockMs = Date.now();
  });
  after(async () => {
    await app.close();
    await fs.rm(rootDir, { recursive: true, force: true });
  });

  async function upload(key: string, body: Buffer, options: { sha256?: string; contentType?: string } = {}) {
    const presigned = await store.presignPut(key, {
      contentType: options.contentType ?? 'image/png',
      contentLength: body.length,
      expiresInSeconds: 300,
      sha256: options.sha256,
    });
    return { presigned, response: await putWith(presigned.url, body, presigned.headers) };
  }

  function putWith(
    url: string,
    body: Buffer,
    headers: Record<string, string>,
    method: 'PUT' | 'GET' = 'PUT',
  ) {
    return app.inject({ method, url: url.startsWith('http') ? target(url) : url, headers, payload: body });
  }

  test('presignPut returns the URL, method, required headers and expiry', async () => {
    const presigned = await store.presignPut('photos/a.png', {
      contentType: 'image/png',
      contentLength: 12,
      expiresInSeconds: 600,
      sha256: 'AB'.repeat(32),
    });
    assert.equal(presigned.method, 'PUT');
    assert.deepEqual(presigned.headers, { 'content-type': 'image/png', 'content-length': '12' });
    assert.equal(presigned.expiresAt.getTime(), Math.floor(clockMs / 1000 + 600) * 1000);
    assert.match(
      presigned.url,
      /^http:\/\/objects\.test\/_objects\/photos\/a\.png\?method=PUT&expires=\d+&ct=image%2Fpng&len=12&sha256=(ab){32}&sig=[0-9a-f]{64}$/,
    );
  });

  test('a valid presigned PUT stores exactly the bytes sent', async () => {
    const body = Buffer.from('\x89PNG fake image bytes');
    const { response } = await upload('photos/valid.png', body);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), {
      key: 'photos/valid.png',
      size: body.length,
      sha256: sha256(body),
      contentType: 'image/png',
    });
    assert.equal(response.headers.etag, `"${sha256(body)}"`);
    assert.deepEqual(await fs.readFile(path.join(rootDir, 'photos', 'valid.png')), body);
    const head = await store.head('photos/valid.png');
    assert.equal(head?.contentType, 'image/png');
    assert.equal(head?.sha256, sha256(body));
  });

  test('a PUT bound to a sha-256 accepts the matching body and refuses another', async () => {
    const body = Buffer.from('hashed body');
    const good = await upload('hashed/good.bin', body, { sha256: sha256(body) });
    assert.equal(good.response.statusCode, 200, good.response.body);

    const bad = await upload('hashed/bad.bin', body, { sha256: sha256('something else') });
    assert.equal(bad.response.statusCode, 400);
    assert.equal(errorCode(bad.response), 'sha256_mismatch');
    await assertNothingStored('hashed/bad.bin');
  });

  test('bodies of JSON or text type are stored raw, not parsed', async () => {
    const body = Buffer.from('{"not": "parsed"  }');
    const { response } = await upload('raw/data.json', body, { contentType: 'application/json' });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(await fs.readFile(path.join(rootDir, 'raw', 'data.json')), body);

    const sibling = await app.inject({ method: 'POST', url: '/json', payload: { parsed: true } });
    assert.deepEqual(sibling.json(), { received: { parsed: true } }, 'other routes keep their JSON parser');
  });

  test('a zero-byte upload works when zero bytes were signed', async () => {
    const { response } = await upload('empty/file.txt', Buffer.alloc(0), { contentType: 'text/plain' });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal((await store.head('empty/file.txt'))?.size, 0);
  });

  describe('tampering and misuse: refused, and nothing is stored', () => {
    const body = Buffer.from('0123456789');
    let presigned: Awaited<ReturnType<LocalObjectStore['presignPut']>>;
    const key = 'guarded/object.png';

    beforeEach(async () => {
      presigned = await store.presignPut(key, {
        contentType: 'image/png',
        contentLength: 10,
        expiresInSeconds: 300,
      });
    });

    async function expectRefused(response: LightMyRequestResponse, status: number, code: string) {
      assert.equal(response.statusCode, status, response.body);
      assert.equal(errorCode(response), code);
      assert.equal(typeof (response.json() as { message: unknown }).message, 'string');
      await assertNothingStored(key);
    }

    test('missing or tampered signature', async () => {
      const unsigned = new URL(presigned.url);
      unsigned.searchParams.delete('sig');
      await expectRefused(
        await putWith(unsigned.pathname + unsigned.search, body, presigned.headers),
        403,
        'missing_signature',
      );
      const sig = new URL(presigned.url).searchParams.get('sig')!;
      const flipped = (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1);
      await expectRefused(
        await putWith(withParam(presigned.url, 'sig', flipped), body, presigned.headers),
        403,
        'invalid_signature',
      );
      await expectRefused(
        await putWith(withParam(presigned.url, 'sig', 'zz'), body, presigned.headers),
        403,
        'invalid_signature',
      );
    });

    test('tampered key', async () => {
      const other = presigned.url.replace('/guarded/object.png', '/guarded/other.png');
      const response = await putWith(other, body, presigned.headers);
      assert.equal(response.statusCode, 403);
      assert.equal(errorCode(response), 'invalid_signature');
      assert.equal(await store.head('guarded/other.png'), undefined);
      await assertNothingStored(key);
    });

    test('tampered length, content type, expiry, hash or method parameter', async () => {
      const longer = Buffer.from('0123456789ab');
      await expectRefused(
        await putWith(withParam(presigned.url, 'len', '12'), longer, {
          ...presigned.headers,
          'content-length': '12',
        }),
        403,
        'invalid_signature',
      );
      await expectRefused(
        await putWith(withParam(presigned.url, 'ct', 'text/html'), body, { 'content-type': 'text/html' }),
        403,
        'invalid_signature',
      );
      const later = String(Number(new URL(presigned.url).searchParams.get('expires')) + 3600);
      await expectRefused(
        await putWith(withParam(presigned.url, 'expires', later), body, presigned.headers),
        403,
        'invalid_signature',
      );
      await expectRefused(
        await putWith(withParam(presigned.url, 'sha256', sha256(body)), body, presigned.headers),
        403,
        'invalid_signature',
      );
      await expectRefused(
        await putWith(withParam(presigned.url, 'method', 'GET'), body, presigned.headers, 'GET'),
        403,
        'invalid_signature',
      );
      const duplicated = `${target(presigned.url)}&len=10`;
      await expectRefused(await putWith(duplicated, body, presigned.headers), 403, 'invalid_signature');
    });

    test('wrong HTTP method for the signed one', async () => {
      await store.put(key, body, { contentType: 'image/png' });
      const asGet = await app.inject({ method: 'GET', url: target(presigned.url) });
      assert.equal(asGet.statusCode, 403);
      assert.equal(errorCode(asGet), 'method_mismatch');
      await store.delete(key);

      const getUrl = await store.presignGet(key, { expiresInSeconds: 300 });
      await expectRefused(await putWith(getUrl.url, body, presigned.headers), 403, 'method_mismatch');
    });

    test('expired URL, whether signed with a negative expiry or simply outlived', async () => {
      const alreadyExpired = await store.presignPut(key, {
        contentType: 'image/png',
        contentLength: 10,
        expiresInSeconds: -1,
      });
      await expectRefused(await putWith(alreadyExpired.url, body, alreadyExpired.headers), 403, 'expired');

      clockMs += 301_000;
      await expectRefused(await putWith(presigned.url, body, presigned.headers), 403, 'expired');
    });

    test('a URL signed by another store with the same secret', async () => {
      const otherService = createLocalObjectStore({
        rootDir: path.join(rootDir, 'elsewhere'),
        signingSecret: SECRET,
        publicBaseUrl: BASE_URL,
        signingScope: 'another-service',
      });
      const foreign = await otherService.presignPut(key, {
        contentType: 'image/png',
        contentLength: 10,
        expiresInSeconds: 300,
      });
      await expectRefused(await putWith(foreign.url, body, foreign.headers), 403, 'invalid_signature');
    });

    test('wrong or missing Content-Type header', async () => {
      await expectRefused(
        await putWith(presigned.url, body, { ...presigned.headers, 'content-type': 'image/jpeg' }),
        400,
        'content_type_mismatch',
      );
      await expectRefused(
        await putWith(presigned.url, body, {
          ...presigned.headers,
          'content-type': 'image/png; charset=utf-8',
        }),
        400,
        'content_type_mismatch',
      );
      await expectRefused(
        await putWith(presigned.url, body, { ...presigned.headers, 'content-type': 'not a media type' }),
        400,
        'content_type_mismatch',
      );
      const { 'content-type': _omitted, ...withoutType } = presigned.headers;
      await expectRefused(await putWith(presigned.url, body, withoutType), 400, 'content_type_mismatch');
    });

    test('Content-Length header different from the signed length', async () => {
      const shorter = body.subarray(0, 5);
      await expectRefused(
        await putWith(presigned.url, shorter, { 'content-type': 'image/png' }),
        400,
        'content_length_mismatch',
      );
      const longer = Buffer.concat([body, Buffer.from('extra')]);
      await expectRefused(
        await putWith(presigned.url, longer, { 'content-type': 'image/png' }),
        400,
        'content_length_mismatch',
      );
    });

    test('body shorter or longer than the Content-Length it claims', async () => {
      await expectRefused(
        await putWith(presigned.url, body.subarray(0, 6), presigned.headers),
        400,
        'content_length_mismatch',
      );
      await expectRefused(
        await putWith(presigned.url, Buffer.concat([body, Buffer.from('!!')]), presigned.headers),
        400,
        'content_length_mismatch',
      );
    });

    test('a failed upload leaves an existing object untouched', async () => {
      await store.put(key, Buffer.from('original!!'), { contentType: 'image/png' });
      const response = await putWith(presigned.url, Buffer.from('short'), presigned.headers);
      assert.equal(response.statusCode, 400);
      assert.equal(await text((await store.get(key)).body), 'original!!');
      await store.delete(key);
    });
  });

  describe('create-only PUT URLs', () => {
    test('the first upload is stored; replaying the URL, even with the same bytes, is 412 and changes nothing', async () => {
      const key = 'once/document.png';
      const first = Buffer.from('the analysed document');
      const presigned = await store.presignPut(key, {
        contentType: 'image/png',
        contentLength: first.length,
        expiresInSeconds: 300,
        createOnly: true,
      });
      assert.match(presigned.url, /&once=1&sig=/);
      assert.deepEqual(presigned.headers, {
        'content-type': 'image/png',
        'content-length': String(first.length),
      });
      assert.equal((await putWith(presigned.url, first, presigned.headers)).statusCode, 200);

      const other = Buffer.from('another document!!!!!');
      assert.equal(other.length, first.length);
      for (const body of [other, first]) {
        const replay = await putWith(presigned.url, body, presigned.headers);
        assert.equal(replay.statusCode, 412, replay.body);
        assert.equal(errorCode(replay), 'object_exists');
      }
      assert.deepEqual(await fs.readFile(path.join(rootDir, 'once', 'document.png')), first);
      assert.equal((await store.head(key))?.sha256, sha256(first));
    });

    test('the create-only mark is signed: dropping it from the URL is refused', async () => {
      const body = Buffer.from('abc');
      const presigned = await store.presignPut('once/marked.png', {
        contentType: 'image/png',
        contentLength: body.length,
        expiresInSeconds: 300,
        createOnly: true,
      });
      const parsed = new URL(presigned.url);
      parsed.searchParams.delete('once');
      const stripped = await putWith(parsed.pathname + parsed.search, body, presigned.headers);
      assert.equal(stripped.statusCode, 403);
      assert.equal(errorCode(stripped), 'invalid_signature');
      const forged = await putWith(withParam(presigned.url, 'once', '0'), body, presigned.headers);
      assert.equal(forged.statusCode, 403);
    });

    test('two racing create-only uploads to one key: exactly one is stored', async () => {
      const key = 'once/raced.bin';
      const bodies = [Buffer.from('aaaaaaaa'), Buffer.from('bbbbbbbb')];
      const responses = await Promise.all(
        bodies.map(async (body) => {
          const presigned = await store.presignPut(key, {
            contentType: 'application/octet-stream',
            contentLength: body.length,
            expiresInSeconds: 300,
            createOnly: true,
          });
          return putWith(presigned.url, body, presigned.headers);
        }),
      );
      assert.deepEqual(responses.map((response) => response.statusCode).sort(), [200, 412]);
      const winner = bodies[responses.findIndex((response) => response.statusCode === 200)]!;
      assert.deepEqual(await fs.readFile(path.join(rootDir, 'once', 'raced.bin')), winner);
    });
  });

  describe('presigned GET', () => {
    const body = Buffer.from('downloadable contents');
    before(async () => {
      await store.put('docs/report.pdf', body, { contentType: 'application/pdf' });
    });

    test('returns the bytes with content type, length and safety headers', async () => {
      const presigned = await store.presignGet('docs/report.pdf', { expiresInSeconds: 60 });
      assert.deepEqual(presigned.headers, {});
      assert.equal(presigned.method, 'GET');
      const response = await app.inject({ method: 'GET', url: target(presigned.url) });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.rawPayload, body);
      assert.equal(response.headers['content-type'], 'application/pdf');
      assert.equal(response.headers['content-length'], String(body.length));
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.equal(response.headers['content-security-policy'], "default-src 'none';sandbox");
      assert.equal(response.headers.etag, `"${sha256(body)}"`);
      assert.equal(response.headers['content-disposition'], undefined);
    });

    test('honours downloadName as a sanitized attachment and a signed content type', async () => {
      const presigned = await store.presignGet('docs/report.pdf', {
        expiresInSeconds: 60,
        downloadName: '../Rapport "final"\r\nX-Evil: 1 été.pdf',
        contentType: 'application/octet-stream',
      });
      const response = await app.inject({ method: 'GET', url: target(presigned.url) });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], 'application/octet-stream');
      assert.equal(response.headers['x-evil'], undefined);
      assert.equal(
        response.headers['content-disposition'],
        `attachment; filename="_Rapport _final___X-Evil_ 1 _t_.pdf"; filename*=UTF-8''_Rapport%20_final___X-Evil_%201%20%C3%A9t%C3%A9.pdf`,
      );
    });

    test('serves single byte ranges and refuses unsatisfiable ones', async () => {
      const presigned = await store.presignGet('docs/report.pdf', { expiresInSeconds: 60 });
      const url = target(presigned.url);
      const middle = await app.inject({ method: 'GET', url, headers: { range: 'bytes=0-11' } });
      assert.equal(middle.statusCode, 206);
      assert.equal(middle.body, 'downloadable');
      assert.equal(middle.headers['content-range'], `bytes 0-11/${body.length}`);
      assert.equal(middle.headers['content-length'], '12');

      const suffix = await app.inject({ method: 'GET', url, headers: { range: 'bytes=-8' } });
      assert.equal(suffix.statusCode, 206);
      assert.equal(suffix.body, 'contents');

      const open = await app.inject({ method: 'GET', url, headers: { range: 'bytes=13-' } });
      assert.equal(open.body, 'contents');

      const outside = await app.inject({ method: 'GET', url, headers: { range: 'bytes=500-600' } });
      assert.equal(outside.statusCode, 416);
      assert.equal(outside.headers['content-range'], `bytes */${body.length}`);

      const multi = await app.inject({ method: 'GET', url, headers: { range: 'bytes=0-1,4-5' } });
      assert.equal(multi.statusCode, 200, 'several ranges: the whole object');
      assert.deepEqual(multi.rawPayload, body);
    });

    test('HEAD answers headers only', async () => {
      const presigned = await store.presignGet('docs/report.pdf', { expiresInSeconds: 60 });
      const response = await app.inject({ method: 'HEAD', url: target(presigned.url) });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-length'], String(body.length));
      assert.equal(response.headers['content-type'], 'application/pdf');
      assert.equal(response.body, '');
    });

    test('a GET bound to a sha-256 serves only that content', async () => {
      const bound = await store.presignGet('docs/report.pdf', { expiresInSeconds: 60, sha256: sha256(body) });
      assert.match(bound.url, /&sha256=[0-9a-f]{64}&sig=/);
      const served = await app.inject({ method: 'GET', url: target(bound.url) });
      assert.equal(served.statusCode, 200);
      assert.deepEqual(served.rawPayload, body);

      const stale = await store.presignGet('docs/report.pdf', {
        expiresInSeconds: 60,
        sha256: sha256('what was recorded once'),
      });
      for (const method of ['GET', 'HEAD'] as const) {
        const refused = await app.inject({ method, url: target(stale.url) });
        assert.equal(refused.statusCode, 412, method);
        if (method === 'GET') assert.equal(errorCode(refused), 'content_changed');
      }
      const unbound = await app.inject({ method: 'GET', url: withParam(stale.url, 'sha256', sha256(body)) });
      assert.equal(unbound.statusCode, 403);
    });

    test('expired, tampered and missing-object GETs are refused', async () => {
      const expired = await store.presignGet('docs/report.pdf', { expiresInSeconds: -5 });
      const expiredResponse = await app.inject({ method: 'GET', url: target(expired.url) });
      assert.equal(expiredResponse.statusCode, 403);
      assert.equal(errorCode(expiredResponse), 'expired');

      const named = await store.presignGet('docs/report.pdf', {
        expiresInSeconds: 60,
        downloadName: 'a.pdf',
      });
      const renamed = await app.inject({ method: 'GET', url: withParam(named.url, 'dn', 'b.html') });
      assert.equal(renamed.statusCode, 403);
      assert.equal(errorCode(renamed), 'invalid_signature');

      const missing = await store.presignGet('docs/missing.pdf', { expiresInSeconds: 60 });
      const missingResponse = await app.inject({ method: 'GET', url: target(missing.url) });
      assert.equal(missingResponse.statusCode, 404);
      assert.deepEqual(missingResponse.json(), { error: 'not_found', message: 'No object at this URL' });
    });
  });
});

describe('presigned URLs over a real socket', () => {
  let rootDir: string;
  let store: LocalObjectStore;
  let server: FastifyInstance;
  let base: string;

  before(async () => {
    rootDir = await fs.mkdtemp(path.join(os.tmpdir(), 'objects-socket-'));
    store = createLocalObjectStore({ rootDir, signingSecret: SECRET, publicBaseUrl: 'http://placeholder' });
    server = Fastify();
    await server.register(objectRoutes, { store });
    await server.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await server.close();
    await fs.rm(rootDir, { recursive: true, force: true });
  });

  test('streams a multi-megabyte upload with fetch and downloads it back', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024 + 17, 'z');
    const put = await store.presignPut('videos/clip.bin', {
      contentType: 'video/mp4',
      contentLength: body.length,
      expiresInSeconds: 60,
      sha256: sha256(body),
    });
    const uploaded = await fetch(put.url.replace('http://placeholder', base), {
      method: 'PUT',
      headers: { 'content-type': 'video/mp4' },
      body,
    });
    assert.equal(uploaded.status, 200);
    assert.equal(((await uploaded.json()) as { size: number }).size, body.length);

    const get = await store.presignGet('videos/clip.bin', { expiresInSeconds: 60, downloadName: 'clip.mp4' });
    const downloaded = await fetch(get.url.replace('http://placeholder', base));
    assert.equal(downloaded.status, 200);
    assert.equal(downloaded.headers.get('content-type'), 'video/mp4');
    assert.match(downloaded.headers.get('content-disposition') ?? '', /^attachment; filename="clip\.mp4"/);
    assert.deepEqual(Buffer.from(await downloaded.arrayBuffer()), body);
  });

  test('a chunked upload (no Content-Length) is refused before its body is read', async () => {
    const put = await store.presignPut('chunked/file.bin', {
      contentType: 'application/octet-stream',
      contentLength: 5,
      expiresInSeconds: 60,
    });
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(
        put.url.replace('http://placeholder', base),
        {
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
        },
        (incoming) => {
          text(incoming).then(
            (responseBody) => resolve({ status: incoming.statusCode ?? 0, body: responseBody }),
            reject,
          );
        },
      );
      request.on('error', reject);
      request.end(Buffer.from('small'));
    });
    assert.equal(response.status, 400);
    assert.equal(JSON.parse(response.body).error, 'content_length_mismatch');
    assert.equal(await store.head('chunked/file.bin'), undefined);
  });

  test('a connection closed mid-body leaves nothing behind', async () => {
    const put = await store.presignPut('aborted/file.bin', {
      contentType: 'application/octet-stream',
      contentLength: 10,
      expiresInSeconds: 60,
    });
    const url = new URL(put.url);
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.resume();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.end(
      `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: test\r\nContent-Type: application/octet-stream\r\n` +
        'Content-Length: 10\r\n\r\nabcdef',
    );
    await closed;
    // The server notices the abort on its own schedule: wait for the cleanup, bounded.
    let staged: string[] = ['pending'];
    for (let attempt = 0; attempt < 200 && staged.length > 0; attempt++) {
      staged = await fs.readdir(path.join(rootDir, '.staging')).catch(() => []);
      if (staged.length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual(staged, []);
    assert.equal(await store.head('aborted/file.bin'), undefined);
  });
});
