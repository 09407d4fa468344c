import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createTestDatabase, type TestDatabase } from '@trustplane/kernel/testkit';
import { parseRange, type RangeDecision, scanByteRange } from '../src/media/range.js';
import { mp4Video } from './support/fixtures.js';
import { FakeAccount, ISSUER, multipartBody } from './support/harness.js';
import { type MediaProcess, startMediaProcess } from './support/media-process.js';

/** The grammar `parseRange` accepted before it was a linear scanner; kept as the oracle for short inputs. */
const REFERENCE = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i;

/** Headers whose backtracking cost under REFERENCE grows with the cube of their length. */
function adversarialHeaders(length: number): string[] {
  const half = Math.floor(length / 2);
  return [
    `bytes=${' '.repeat(half)}-${' '.repeat(half)}x`,
    `bytes=${' '.repeat(half)}-${' '.repeat(half)}-`,
    `bytes=${' -'.repeat(half)}`,
    `${' '.repeat(length)}bytes=0-1x`,
    `bytes=${'\t'.repeat(half)}0${'\u00a0'.repeat(half)}-9x`,
  ];
}

describe('Range parsing', () => {
  test('whitespace is exactly what \\s matches, for every UTF-16 code unit', () => {
    for (let code = 0; code <= 0xffff; code += 1) {
      const space = String.fromCharCode(code);
      const header = `${space}bytes${space}=${space}1${space}-${space}2${space}`;
      assert.equal(Boolean(scanByteRange(header)), REFERENCE.test(header), `U+${code.toString(16)}`);
    }
  });

  test('accepts and refuses exactly what the previous regular expression did', () => {
    const alphabet = [
      ' ',
      '\t',
      '\u00a0',
      '-',
      '=',
      ',',
      '0',
      '1',
      '9',
      'b',
      'B',
      'y',
      't',
      'e',
      's',
      'S',
      'x',
    ];
    const seeds = ['bytes=0-99', 'bytes=-10', 'bytes=4990-', ' BYTES = 1 - 2 ', 'bytes=-', 'bytes=0-1,5-9'];
    let state = 42;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const samples: string[] = [];
    for (const seed of seeds) {
      samples.push(seed);
      for (let round = 0; round < 2000; round += 1) {
        const chars = [...seed];
        const edits = 1 + Math.floor(random() * 3);
        for (let edit = 0; edit < edits; edit += 1) {
          const at = Math.floor(random() * (chars.length + 1));
          const char = alphabet[Math.floor(random() * alphabet.length)] as string;
          const kind = random();
          if (kind < 0.4) chars.splice(at, 0, char);
          else if (kind < 0.7) chars.splice(at, 1);
          else chars.splice(at, 1, char);
        }
        samples.push(chars.join(''));
      }
    }
    for (const header of samples) {
      const expected = REFERENCE.exec(header);
      const actual = scanByteRange(header);
      assert.deepEqual(
        actual,
        expected ? { first: expected[1] ?? '', last: expected[2] ?? '' } : undefined,
        JSON.stringify(header),
      );
    }
  });

  test('keeps the seed semantics: 206 windows, 416, and full for garbage', () => {
    assert.deepEqual(parseRange('bytes=0-99', 5000), { kind: 'partial', start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=4990-', 5000), { kind: 'partial', start: 4990, end: 4999 });
    assert.deepEqual(parseRange('bytes=-10', 5000), { kind: 'partial', start: 4990, end: 4999 });
    assert.deepEqual(parseRange(' Bytes = 100 - 99999 ', 5000), { kind: 'partial', start: 100, end: 4999 });
    assert.deepEqual(parseRange('bytes=5000-', 5000), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=-0', 5000), { kind: 'unsatisfiable' });
    for (const garbage of ['bytes=0-1,5-9', 'pages=1-2', 'bytes=abc', 'bytes=9-3', 'bytes=-', 'bytes=1 2-3'])
      assert.deepEqual(parseRange(garbage, 5000), { kind: 'full' }, garbage);
    assert.deepEqual(parseRange(undefined, 5000), { kind: 'full' });
  });

  // A hang guard, not a timing assertion: the previous regular expression needed minutes for
  // 12 KB of these and would never finish 1 MB. The parsing runs in a worker so that a hang
  // blocks the worker, and this test's timeout still fires and fails it.
  test('returns on 1 MB pathological headers', { timeout: 30_000 }, async (t) => {
    const megabyte = 1024 * 1024;
    const headers = [
      ...adversarialHeaders(megabyte),
      `bytes=${' '.repeat(megabyte / 2)}7${' '.repeat(megabyte / 2)}-${' '.repeat(megabyte / 2)}9 `,
    ];
    // tsx's loader is registered in the worker itself (workers do not inherit it on Node 20).
    const entry = new URL('./support/parse-range-worker.ts', import.meta.url).href;
    const worker = new Worker(
      `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`,
      { eval: true, workerData: { headers, size: 5000 } },
    );
    worker.unref();
    t.after(() => worker.terminate());
    const [decisions] = (await once(worker, 'message')) as [RangeDecision[]];
    assert.deepEqual(decisions, [
      ...adversarialHeaders(8).map(() => ({ kind: 'full' })),
      { kind: 'partial', start: 7, end: 9 },
    ]);
  });
});

describe('Range on a public video', () => {
  let account: FakeAccount;
  let database: TestDatabase;
  let dataDir: string;
  let server: MediaProcess | undefined;
  before(async () => {
    account = await FakeAccount.start();
    database = await createTestDatabase('media_range');
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'media-range-'));
  });
  after(async () => {
    await server?.kill();
    await account?.close();
    await database?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  // The service runs in its own process: were parsing to block its event loop again, the
  // requests below would hang there and this test's timeout would still fire here.
  test('12 KB adversarial headers are answered in the seed shape', { timeout: 60_000 }, async () => {
    server = await startMediaProcess({
      DATABASE_URL: database.url,
      TRUSTPLANE_DATA_DIR: dataDir,
      ACCOUNT_SERVICE_URL: account.url,
      JWT_ISSUER: ISSUER,
    });
    const base = `http://127.0.0.1:${server.port}`;
    const data = mp4Video(5000);
    const { payload, headers } = multipartBody([
      { field: 'file', filename: 'clip.mp4', type: 'video/mp4', data },
    ]);
    const token = await account.token();
    const uploaded = await fetch(`${base}/upload?visibility=public`, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${token}` },
      body: new Uint8Array(payload),
    });
    assert.equal(uploaded.status, 201, await uploaded.clone().text());
    const { id } = (await uploaded.json()) as { id: string };
    // Anonymous, as anyone on the internet can ask for public media. Node's HTTP server refuses
    // headers past 16 KB (431) before any route runs, so 12 KB is the most a client can send.
    const get = (range: string) => fetch(`${base}/media/${id}`, { headers: { range } });
    for (const range of adversarialHeaders(12 * 1024)) {
      const response = await get(range);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('accept-ranges'), 'bytes');
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), data);
    }
    const padded = await get(`bytes=${' '.repeat(5000)}10${' '.repeat(5000)}-${' '.repeat(2000)}19`);
    assert.equal(padded.status, 206);
    assert.equal(padded.headers.get('content-range'), 'bytes 10-19/5000');
    assert.deepEqual(Buffer.from(await padded.arrayBuffer()), data.subarray(10, 20));
    const outside = await get(`bytes=${' '.repeat(5000)}6000${' '.repeat(5000)}-`);
    assert.equal(outside.status, 416);
    assert.equal(outside.headers.get('content-range'), 'bytes */5000');
    const body = (await outside.json()) as { error: { code: string; request_id: string } };
    assert.equal(body.error.code, 'range_not_satisfiable');
    assert.ok(body.error.request_id);
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
  });
});
