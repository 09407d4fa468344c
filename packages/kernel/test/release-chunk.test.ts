import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { releaseChunk, releaseChunksOnceWritten } from '../src/objects/index.js';

describe('releaseChunk', () => {
  test('frees a buffer that spans its whole memory, leaving every view of it empty', () => {
    const chunk = Buffer.alloc(64 * 1024, 1);
    const view = new Uint8Array(chunk.buffer, 10, 10);
    releaseChunk(chunk);
    assert.equal(chunk.length, 0);
    assert.equal(chunk.buffer.byteLength, 0);
    assert.equal(view.length, 0);
  });

  test('leaves alone a slice, a pooled buffer and an already freed one', () => {
    const larger = Buffer.alloc(4096, 2);
    const slice = larger.subarray(0, 1024);
    releaseChunk(slice);
    assert.equal(larger.length, 4096);
    const pooled = Buffer.from('from the pool');
    releaseChunk(pooled);
    assert.equal(pooled.toString(), 'from the pool');
    const freed = Buffer.alloc(16);
    releaseChunk(freed);
    releaseChunk(freed);
    assert.equal(freed.length, 0);
  });
});

describe('releaseChunksOnceWritten', () => {
  const chunks = Array.from({ length: 24 }, () => randomBytes(1024 * 1024));
  const expected = createHash('sha256').update(Buffer.concat(chunks)).digest('hex');
  let sent: Buffer[] = [];
  /** Settles once the server's response has handed its last byte to the socket. */
  let finished: Promise<void> = Promise.resolve();
  let server: http.Server;
  let port: number;

  before(async () => {
    server = http.createServer((request, response) => {
      // Copies, handed to the response the way a store's read stream hands its chunks.
      sent = chunks.map((chunk) => Buffer.from(chunk));
      response.writeHead(200, { 'content-length': String(24 * 1024 * 1024) });
      finished = new Promise((resolve) => response.once('finish', () => resolve()));
      if (request.url === '/release') releaseChunksOnceWritten(response);
      Readable.from(sent).pipe(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function fetchAll(path: string): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return createHash('sha256')
      .update(Buffer.from(await response.arrayBuffer()))
      .digest('hex');
  }

  test('the client gets every byte, and each buffer is freed once the socket has it', async () => {
    assert.equal(await fetchAll('/release'), expected);
    await finished;
    assert.equal(sent.length, 24);
    for (const chunk of sent) assert.equal(chunk.buffer.byteLength, 0);
  });

  test('without it, the buffers are left to the collector', async () => {
    assert.equal(await fetchAll('/keep'), expected);
    await finished;
    for (const chunk of sent) assert.equal(chunk.length, 1024 * 1024);
  });
});
