import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildVerifactApp, createVerifact } from '../src/index.js';
import { fixture } from './support/captures.js';
import { checkContract, Harness, multipart, type TestTenant } from './support/harness.js';

let h: Harness;
let tenant: TestTenant;
let internet: FastifyInstance;
let slowReader: FastifyInstance;
const servers: http.Server[] = [];
let port = 0;
let privateHits = 0;
let lookups = 0;

function serve(host: string, listenPort: number, handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(listenPort, host, () => resolve((server.address() as AddressInfo).port)),
  );
}

before(async () => {
  h = await Harness.boot();
  tenant = await h.tenant();
  // 127.0.0.2 stands in for a public host; 127.0.0.1 on the same port is the private target.
  port = await serve('127.0.0.2', 0, (request, response) => {
    if (request.url === '/photo.jpg') return response.end(fixture('C.jpg'));
    if (request.url === '/redirect') {
      response.writeHead(302, { location: `http://127.0.0.1:${port}/secret` });
      return response.end();
    }
    if (request.url === '/huge') {
      response.writeHead(200, { 'content-type': 'image/jpeg' });
      const chunk = Buffer.alloc(1024 * 1024, 0xff);
      let sent = 0;
      const pump = () => {
        while (sent < 40 && response.write(chunk)) sent += 1;
        if (sent < 40) response.once('drain', pump);
        else response.end();
      };
      return pump();
    }
    if (request.url === '/hang') return; // never answers
    response.statusCode = 404;
    response.end();
  });
  await serve('127.0.0.1', port, (_request, response) => {
    privateHits += 1;
    response.end('internal secret');
  });
  const deps = createVerifact(h.booted.context, 'test', {
    publicAddresses: ['127.0.0.2'],
    config: { urlTimeoutMs: 4000 },
    // The first answer is public, every later one private: a connection must use the vetted one.
    urlLookup: async () => {
      lookups += 1;
      return [{ address: lookups === 1 ? '127.0.0.2' : '127.0.0.1', family: 4 }];
    },
  });
  internet = await buildVerifactApp(deps);
  slowReader = await buildVerifactApp(
    createVerifact(h.booted.context, 'test', { config: { verifierTimeoutMs: 1 } }),
  );
});
after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  await internet?.close();
  await slowReader?.close();
  await h?.close();
});

async function verifyUrl(url: string) {
  const response = await internet.inject({
    method: 'POST',
    url: '/api/v1/verify',
    headers: { authorization: `Bearer ${tenant.admin}` },
    payload: { url },
  });
  checkContract('POST', '/api/v1/verify', response);
  return response;
}

describe('verify {url}: SSRF guard', () => {
  test('a public URL is fetched and verified', async () => {
    const response = await verifyUrl(`http://127.0.0.2:${port}/photo.jpg`);
    assert.deepEqual([response.statusCode, response.json().status], [200, 'verified']);
  });

  test('loopback, cloud metadata and a redirect to loopback are 400; nothing private is reached', async () => {
    for (const url of [
      `http://127.0.0.1:${port}/secret`,
      'http://169.254.169.254/latest/meta-data/',
      `http://[::ffff:127.0.0.1]:${port}/secret`,
      `http://127.0.0.2:${port}/redirect`,
      'file:///etc/passwd',
    ]) {
      const response = await verifyUrl(url);
      assert.deepEqual([response.statusCode, response.json().code], [400, 'INVALID_URL'], url);
    }
    assert.equal(privateHits, 0);
  });

  test('DNS rebinding: the connection goes to the vetted address only', async () => {
    lookups = 0;
    const response = await verifyUrl(`http://rebind.test:${port}/photo.jpg`);
    assert.equal(response.statusCode, 200);
    assert.equal(privateHits, 0);
  });

  test('oversize while streaming, timeouts and HTTP errors are 400', async () => {
    const huge = await verifyUrl(`http://127.0.0.2:${port}/huge`);
    assert.deepEqual([huge.statusCode, huge.json().code], [400, 'PAYLOAD_TOO_LARGE']);
    const hang = await verifyUrl(`http://127.0.0.2:${port}/hang`);
    assert.deepEqual([hang.statusCode, hang.json().code], [400, 'PHOTO_FETCH_FAILED']);
    const missing = await verifyUrl(`http://127.0.0.2:${port}/nothing`);
    assert.equal(missing.statusCode, 400);
  });
});

/** PNG header of `width` × `height` with a valid IHDR CRC (no pixel data needed to refuse it). */
function hugePng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const type = Buffer.from('IHDR');
  let crc = 0xffffffff;
  for (const byte of Buffer.concat([type, ihdr])) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  const crcBuffer = Buffer.alloc(4);
  crcBuffer.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(13);
  const iend = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    length,
    type,
    ihdr,
    crcBuffer,
    iend,
  ]);
}

describe('bombs', () => {
  test('a JUMBF box declaring gigabytes → a 200 verdict within the deadline; good photos still verify', async () => {
    const bytes = Buffer.from(fixture('C.jpg'));
    const jumb = bytes.indexOf(Buffer.from('jumb'));
    bytes.writeUInt32BE(0xfffffff0, jumb - 4);
    const form = multipart([{ name: 'photo', value: bytes, filename: 'bomb.jpg' }]);
    const response = await h.call({ method: 'POST', url: '/api/v1/verify', key: tenant.admin, ...form });
    // c2pa-rs 0.90.1 bounds the declared length by the segment it sits in; whatever it decides, no 500 and no hang.
    assert.equal(response.statusCode, 200);
    assert.ok(['verified', 'tampered', 'unverified'].includes(response.json().status));
    const good = multipart([{ name: 'photo', value: fixture('CA.jpg'), filename: 'ok.jpg' }]);
    assert.equal(
      (await h.call({ method: 'POST', url: '/api/v1/verify', key: tenant.admin, ...good })).json().status,
      'verified',
    );
  });

  test('a reader overrunning its deadline is killed: 200 tampered + verifact.resource_limit, then respawned', async () => {
    const form = multipart([{ name: 'photo', value: fixture('CACAE-uri-CA.jpg'), filename: 'slow.jpg' }]);
    const response = await slowReader.inject({
      method: 'POST',
      url: '/api/v1/verify',
      headers: { authorization: `Bearer ${tenant.admin}`, ...form.headers },
      payload: form.payload,
    });
    checkContract('POST', '/api/v1/verify', response);
    assert.deepEqual(
      [response.json().status, response.json().alerts],
      ['tampered', ['verifact.resource_limit']],
    );
    // The main app's readers are untouched.
    const good = multipart([{ name: 'photo', value: fixture('C.jpg'), filename: 'ok.jpg' }]);
    assert.equal(
      (await h.call({ method: 'POST', url: '/api/v1/verify', key: tenant.admin, ...good })).json().status,
      'verified',
    );
  });

  test('a 20k × 20k PNG is refused by triage from its header (400) and holds no manifest for verify', async () => {
    const png = hugePng(20_000, 20_000);
    const triage = await h.call({
      method: 'POST',
      url: '/api/v1/triage',
      key: tenant.admin,
      ...multipart([{ name: 'photo', value: png, filename: 'big.png' }]),
    });
    assert.deepEqual([triage.statusCode, triage.json().code], [400, 'IMAGE_TOO_LARGE']);
    const verify = await h.call({
      method: 'POST',
      url: '/api/v1/verify',
      key: tenant.admin,
      ...multipart([{ name: 'photo', value: png, filename: 'big.png' }]),
    });
    assert.equal(verify.statusCode, 200);
    assert.equal(verify.json().status, 'unverified');
  });

  test('over 25 MB is a 400, also for multipart uploads', async () => {
    const big = Buffer.concat([fixture('C.jpg'), Buffer.alloc(26 * 1024 * 1024)]);
    const response = await h.call({
      method: 'POST',
      url: '/api/v1/verify',
      key: tenant.admin,
      ...multipart([{ name: 'photo', value: big, filename: 'big.jpg' }]),
    });
    assert.deepEqual([response.statusCode, response.json().code], [400, 'PAYLOAD_TOO_LARGE']);
    const wrongType = await h.call({
      method: 'POST',
      url: '/api/v1/verify',
      key: tenant.admin,
      headers: { 'content-type': 'text/plain' },
      payload: 'hello',
    });
    assert.deepEqual([wrongType.statusCode, wrongType.json().code], [400, 'UNSUPPORTED_CONTENT_TYPE']);
    const badJson = await h.call({
      method: 'POST',
      url: '/api/v1/verify',
      key: tenant.admin,
      headers: { 'content-type': 'application/json' },
      payload: '{"url":',
    });
    assert.deepEqual([badJson.statusCode, badJson.json().code], [400, 'INVALID_JSON']);
  });
});
