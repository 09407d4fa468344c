import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import {
  createLocalObjectStore,
  createObjectStore,
  InvalidObjectKeyError,
  type LocalObjectStore,
  ObjectExistsError,
  ObjectIntegrityError,
  ObjectNotFoundError,
  ObjectTooLargeError,
  RangeNotSatisfiableError,
} from '../src/objects/index.js';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** A body arriving in many chunks, never as one buffer. */
function chunkedBody(chunkCount: number, chunkSize: number, fill = 'x'): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < chunkCount; i++) yield Buffer.alloc(chunkSize, `${fill}${i % 10}`);
    })(),
  );
}

describe('local object store', () => {
  let workDir: string;
  let rootDir: string;
  let store: LocalObjectStore;

  before(async () => {
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'objects-local-'));
    rootDir = path.join(workDir, 'store');
    store = createLocalObjectStore({
      rootDir,
      signingSecret: 'x'.repeat(32),
      publicBaseUrl: 'http://localhost:1',
    });
  });
  after(async () => {
    await fs.rm(workDir, { recursive: true, force: true });
  });

  test('put, head, get and delete round trip with size, hash and content type', async () => {
    const body = Buffer.from('hello object store');
    const stored = await store.put('docs/greeting.txt', body, { contentType: 'text/plain; charset=utf-8' });
    assert.deepEqual(stored, {
      key: 'docs/greeting.txt',
      size: body.length,
      sha256: sha256(body),
      contentType: 'text/plain; charset=utf-8',
    });

    const head = await store.head('docs/greeting.txt');
    assert.equal(head?.size, body.length);
    assert.equal(head?.sha256, sha256(body));
    assert.equal(head?.contentType, 'text/plain; charset=utf-8');
    assert.ok(head?.lastModified instanceof Date);

    const object = await store.get('docs/greeting.txt');
    assert.equal(await text(object.body), 'hello object store');
    assert.equal(object.head.sha256, sha256(body));
    assert.equal(object.range, undefined);
    assert.deepEqual(await fs.readFile(path.join(rootDir, 'docs', 'greeting.txt')), body);

    await store.delete('docs/greeting.txt');
    assert.equal(await store.head('docs/greeting.txt'), undefined);
    await assert.rejects(store.get('docs/greeting.txt'), ObjectNotFoundError);
    await store.delete('docs/greeting.txt'); // idempotent
    await assert.rejects(fs.stat(path.join(rootDir, 'docs')), { code: 'ENOENT' }, 'empty parent pruned');
  });

  test('streams a multi-chunk body and hashes it while writing', async () => {
    const stored = await store.put('big/stream.bin', chunkedBody(64, 64 * 1024), {
      contentType: 'application/octet-stream',
    });
    const expected = Buffer.concat(
      Array.from({ length: 64 }, (_, i) => Buffer.alloc(64 * 1024, `x${i % 10}`)),
    );
    assert.equal(stored.size, expected.length);
    assert.equal(stored.sha256, sha256(expected));
    assert.equal((await store.head('big/stream.bin'))?.sha256, sha256(expected));
  });

  test('releaseChunks frees each handed-over chunk once written; without it, or for a single buffer, nothing is freed', async () => {
    const handedOver = Array.from({ length: 6 }, (_, i) => Buffer.alloc(256 * 1024, `r${i}`));
    const expected = Buffer.concat(handedOver);
    // A slice of a larger buffer is not the body's alone: left as it is.
    const shared = Buffer.alloc(2048, 's');
    const slice = shared.subarray(0, 1024);
    const stored = await store.put('release/handed-over.bin', Readable.from([...handedOver, slice]), {
      releaseChunks: true,
    });
    const whole = Buffer.concat([expected, Buffer.alloc(1024, 's')]);
    assert.equal(stored.size, whole.length);
    assert.equal(stored.sha256, sha256(whole));
    assert.deepEqual(await fs.readFile(path.join(rootDir, 'release', 'handed-over.bin')), whole);
    for (const chunk of handedOver) assert.equal(chunk.buffer.byteLength, 0, 'the chunk memory was freed');
    assert.equal(shared.length, 2048);
    assert.equal(slice.toString(), 's'.repeat(1024));

    const kept = Array.from({ length: 3 }, () => Buffer.alloc(128 * 1024, 'k'));
    await store.put('release/kept.bin', Readable.from(kept));
    for (const chunk of kept) assert.equal(chunk.toString(), 'k'.repeat(128 * 1024));
    const single = Buffer.alloc(64 * 1024, 'o');
    await store.put('release/single.bin', single, { releaseChunks: true });
    assert.equal(single.toString(), 'o'.repeat(64 * 1024));
  });

  test('get marks its body as releasable: every chunk is a buffer of its own', async () => {
    await store.put('release/read.bin', Buffer.alloc(3 * 1024 * 1024 + 5, 'g'));
    for (const range of [undefined, { start: 7, end: 2 * 1024 * 1024 }]) {
      const object = await store.get('release/read.bin', range);
      assert.equal(object.chunksReleasable, true);
      const buffers: Buffer[] = [];
      for await (const chunk of object.body) buffers.push(chunk as Buffer);
      assert.equal(new Set(buffers.map((chunk) => chunk.buffer)).size, buffers.length);
      for (const chunk of buffers) {
        assert.equal(chunk.byteOffset, 0);
        assert.equal(chunk.byteLength, chunk.buffer.byteLength);
      }
    }
  });

  test('chunks of every size are written in order across gathered writes and read back whole', async () => {
    // Uneven chunks (empty ones, hundreds of tiny ones, some larger than the 1 MiB write buffer) so
    // the body goes to disk in many `writev` calls of many chunks, and reads back in several chunks.
    const sizes = [
      0,
      1,
      7,
      65_536,
      0,
      3,
      1_500_000,
      ...Array.from({ length: 600 }, (_, i) => 1 + (i % 13)),
      2_200_001,
      65_535,
      1,
    ];
    const chunks = sizes.map((size, i) => Buffer.alloc(size, (i * 37) % 251));
    const expected = Buffer.concat(chunks);
    const stored = await store.put('batched/body.bin', Readable.from(chunks));
    assert.equal(stored.size, expected.length);
    assert.equal(stored.sha256, sha256(expected));
    const whole = await store.get('batched/body.bin');
    assert.ok(Buffer.concat(await whole.body.toArray()).equals(expected));
    // A range that crosses a read-chunk boundary.
    const start = 1024 * 1024 - 10;
    const ranged = await store.get('batched/body.bin', { start, end: start + 2 * 1024 * 1024 });
    assert.ok(
      Buffer.concat(await ranged.body.toArray()).equals(
        expected.subarray(start, start + 2 * 1024 * 1024 + 1),
      ),
    );
  });

  test('a body that fails or crosses maxBytes after writes began leaves nothing behind', async () => {
    await store.put('failing/keep', Buffer.from('previous'));
    const failure = new Error('client went away');
    const failing = () =>
      Readable.from(
        (async function* () {
          for (let i = 0; i < 40; i++) yield Buffer.alloc(64 * 1024, i);
          throw failure;
        })(),
      );
    await assert.rejects(store.put('failing/keep', failing()), failure);
    await assert.rejects(store.put('failing/new', failing()), failure);
    // The size cap crossed after megabytes went to disk.
    await assert.rejects(
      store.put('failing/new', chunkedBody(60, 64 * 1024), { maxBytes: 3 * 1024 * 1024 }),
      ObjectTooLargeError,
    );
    assert.equal(await store.head('failing/new'), undefined);
    assert.equal(await text((await store.get('failing/keep')).body), 'previous');
    assert.deepEqual(await listFiles(path.join(rootDir, '.staging')), []);
  });

  test('an empty body is a valid object', async () => {
    const stored = await store.put('empty', Buffer.alloc(0));
    assert.equal(stored.size, 0);
    assert.equal(stored.sha256, sha256(''));
    assert.equal(await text((await store.get('empty')).body), '');
    assert.equal((await store.head('empty'))?.contentType, undefined);
  });

  test('overwriting replaces bytes and metadata together', async () => {
    await store.put('over/write', Buffer.from('first'), { contentType: 'text/plain' });
    await store.put('over/write', Buffer.from('second version'), { contentType: 'application/json' });
    const head = await store.head('over/write');
    assert.equal(head?.size, 'second version'.length);
    assert.equal(head?.sha256, sha256('second version'));
    assert.equal(head?.contentType, 'application/json');
  });

  test('range reads are inclusive, clamp the end and refuse a start past the end', async () => {
    await store.put('range/digits', Buffer.from('0123456789'));
    const middle = await store.get('range/digits', { start: 2, end: 5 });
    assert.equal(await text(middle.body), '2345');
    assert.deepEqual(middle.range, { start: 2, end: 5 });
    assert.equal(middle.head.size, 10);

    const tail = await store.get('range/digits', { start: 7, end: Number.POSITIVE_INFINITY });
    assert.equal(await text(tail.body), '789');
    assert.deepEqual(tail.range, { start: 7, end: 9 });

    const clamped = await store.get('range/digits', { start: 8, end: 500 });
    assert.equal(await text(clamped.body), '89');

    const single = await store.get('range/digits', { start: 0, end: 0 });
    assert.equal(await text(single.body), '0');

    await assert.rejects(store.get('range/digits', { start: 10, end: 12 }), (error: unknown) => {
      assert.ok(error instanceof RangeNotSatisfiableError);
      assert.equal(error.size, 10);
      return true;
    });
    await assert.rejects(store.get('range/digits', { start: 5, end: 2 }), RangeNotSatisfiableError);
    await assert.rejects(store.get('range/digits', { start: -1, end: 2 }), RangeNotSatisfiableError);
  });

  test('a reader keeps the bytes it opened while a put replaces the object', async () => {
    await store.put('swap/me', Buffer.from('old bytes'));
    const reading = await store.get('swap/me');
    await store.put('swap/me', Buffer.from('new bytes!'));
    assert.equal(await text(reading.body), 'old bytes');
    assert.equal(await text((await store.get('swap/me')).body), 'new bytes!');
  });

  test('maxBytes aborts the write and leaves neither file nor staging leftovers', async () => {
    await store.put('limited/keep', Buffer.from('previous'), { contentType: 'text/plain' });
    await assert.rejects(
      store.put('limited/keep', chunkedBody(10, 1024), { maxBytes: 4096 }),
      (error: unknown) => {
        assert.ok(error instanceof ObjectTooLargeError);
        assert.equal(error.limit, 4096);
        return true;
      },
    );
    await assert.rejects(
      store.put('limited/new', chunkedBody(10, 1024), { maxBytes: 4096 }),
      ObjectTooLargeError,
    );
    assert.equal(await store.head('limited/new'), undefined);
    assert.deepEqual(await listFiles(path.join(rootDir, '.staging')), []);
    assert.equal(
      await text((await store.get('limited/keep')).body),
      'previous',
      'the existing object is untouched',
    );

    const exact = await store.put('limited/exact', chunkedBody(4, 1024), { maxBytes: 4096 });
    assert.equal(exact.size, 4096);
  });

  test('expectedSize and expectedSha256 refuse a mismatching body before anything is written', async () => {
    const body = Buffer.from('integrity');
    await assert.rejects(
      store.put('integrity/size', body, { expectedSize: body.length + 1 }),
      (error: unknown) => {
        assert.ok(error instanceof ObjectIntegrityError);
        assert.equal(error.mismatch, 'size');
        return true;
      },
    );
    await assert.rejects(
      store.put('integrity/hash', body, { expectedSha256: sha256('other') }),
      (error: unknown) => {
        assert.ok(error instanceof ObjectIntegrityError);
        assert.equal(error.mismatch, 'sha256');
        return true;
      },
    );
    assert.equal(await store.head('integrity/size'), undefined);
    assert.equal(await store.head('integrity/hash'), undefined);
    assert.deepEqual(await listFiles(path.join(rootDir, '.staging')), []);

    const ok = await store.put('integrity/ok', body, {
      expectedSize: body.length,
      expectedSha256: sha256(body).toUpperCase(),
    });
    assert.equal(ok.sha256, sha256(body));
  });

  test('createOnly writes a new object and refuses an existing one, leaving it untouched', async () => {
    const first = await store.put('once/a.txt', Buffer.from('first'), { createOnly: true });
    assert.equal(first.sha256, sha256('first'));
    await assert.rejects(
      store.put('once/a.txt', Buffer.from('second'), { createOnly: true }),
      (error: unknown) => error instanceof ObjectExistsError && error.key === 'once/a.txt',
    );
    assert.equal(await text((await store.get('once/a.txt')).body), 'first');
    assert.equal((await store.head('once/a.txt'))?.sha256, sha256('first'));
    assert.deepEqual(await fs.readdir(path.join(rootDir, '.staging')), []);
    // A plain put still replaces; a prefix is not an object to collide with.
    await store.put('once/a.txt', Buffer.from('third'));
    assert.equal(await text((await store.get('once/a.txt')).body), 'third');
    await assert.rejects(store.put('once', Buffer.from('x'), { createOnly: true }), InvalidObjectKeyError);
  });

  test('deletePrefix removes every object under the prefix, and nothing else', async () => {
    await store.put('sweep/s1/uploads/front/a.jpg', Buffer.from('a'));
    await store.put('sweep/s1/uploads/back/b.jpg', Buffer.from('b'));
    await store.put('sweep/s1/analysis/x/ela.png', Buffer.from('c'));
    await store.put('sweep/s10/kept.jpg', Buffer.from('d'));
    await store.put('sweep/s1.jpg', Buffer.from('e'));
    assert.equal(await store.deletePrefix('sweep/s1/'), 3);
    assert.equal(await store.head('sweep/s1/uploads/front/a.jpg'), undefined);
    assert.equal(await store.head('sweep/s1/analysis/x/ela.png'), undefined);
    assert.ok(await store.head('sweep/s10/kept.jpg'));
    assert.ok(await store.head('sweep/s1.jpg'));
    await assert.rejects(fs.stat(path.join(rootDir, 'sweep', 's1')), { code: 'ENOENT' });
    assert.equal(await store.deletePrefix('sweep/s1/'), 0);
    assert.equal(await store.deletePrefix('nothing/here/'), 0);
    for (const bad of ['sweep/s1', '../sweep/', '/', '.staging/']) {
      await assert.rejects(store.deletePrefix(bad), InvalidObjectKeyError, bad);
    }
  });

  test('keys that could escape the root or alias internal files are refused everywhere', async () => {
    const badKeys = [
      '',
      '../escape',
      'a/../../escape',
      '..',
      '/absolute',
      'a//b',
      'a/./b',
      'trailing/',
      'back\\slash',
      'space here',
      '%2e%2e/escape',
      'caf\u00e9',
      'nul\u0000byte',
      '.staging/x',
      'photo.meta.json',
      'k'.repeat(513),
      `long/${'s'.repeat(201)}`,
    ];
    for (const key of badKeys) {
      await assert.rejects(
        store.put(key, Buffer.from('x')),
        InvalidObjectKeyError,
        `put ${JSON.stringify(key)}`,
      );
      await assert.rejects(store.get(key), InvalidObjectKeyError, `get ${JSON.stringify(key)}`);
      await assert.rejects(store.head(key), InvalidObjectKeyError, `head ${JSON.stringify(key)}`);
      await assert.rejects(store.delete(key), InvalidObjectKeyError, `delete ${JSON.stringify(key)}`);
      await assert.rejects(
        store.presignGet(key, { expiresInSeconds: 60 }),
        InvalidObjectKeyError,
        `presign ${JSON.stringify(key)}`,
      );
    }
    assert.deepEqual(
      await listFiles(workDir).then((files) => files.filter((f) => !f.startsWith('store'))),
      [],
    );

    const longest = `${'k'.repeat(200)}/${'k'.repeat(200)}/${'k'.repeat(110)}`;
    assert.equal(longest.length, 512);
    await store.put(longest, Buffer.from('ok'));
    assert.equal((await store.head(longest))?.size, 2);
  });

  test('a key that collides with an existing prefix is refused', async () => {
    await store.put('clash/file', Buffer.from('x'));
    await assert.rejects(store.put('clash/file/child', Buffer.from('y')), InvalidObjectKeyError);
    await assert.rejects(store.put('clash', Buffer.from('y')), InvalidObjectKeyError);
    assert.equal(await store.head('clash'), undefined, 'a directory is not an object');
    await assert.rejects(store.get('clash'), ObjectNotFoundError);
    assert.deepEqual(await listFiles(path.join(rootDir, '.staging')), []);
  });

  test('metadata left stale by a crash between the two renames is not trusted', async () => {
    await store.put('crash/victim', Buffer.from('original'), { contentType: 'text/plain' });
    // As if a later put died after moving its data into place but before its sidecar.
    const replacement = path.join(workDir, 'replacement');
    await fs.writeFile(replacement, 'replaced!');
    await fs.rename(replacement, path.join(rootDir, 'crash', 'victim'));
    const head = await store.head('crash/victim');
    assert.equal(head?.size, 'replaced!'.length);
    assert.equal(head?.sha256, undefined);
    assert.equal(head?.contentType, undefined);
  });

  test('sweepStaging removes only staging files older than the threshold', async () => {
    const staging = path.join(rootDir, '.staging');
    await fs.mkdir(staging, { recursive: true });
    const stale = path.join(staging, 'crashed.data');
    const staleMeta = path.join(staging, 'crashed.meta');
    const fresh = path.join(staging, 'in-flight.data');
    await fs.writeFile(stale, 'partial');
    await fs.writeFile(staleMeta, '{}');
    await fs.writeFile(fresh, 'writing');
    const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
    await fs.utimes(stale, hourAgo, hourAgo);
    await fs.utimes(staleMeta, hourAgo, hourAgo);

    assert.equal(await store.sweepStaging(10 * 60 * 1000), 2);
    assert.deepEqual(await listFiles(staging), ['in-flight.data']);
    assert.equal(await store.sweepStaging(0), 1);
    assert.deepEqual(await listFiles(staging), []);

    const untouched = createLocalObjectStore({
      rootDir: path.join(workDir, 'never-written'),
      signingSecret: 's',
      publicBaseUrl: 'http://localhost:1',
    });
    assert.equal(await untouched.sweepStaging(0), 0);
  });
});

describe('createObjectStore', () => {
  test('picks local disk under <rootDir>/<namespace> without S3 config', async () => {
    const rootDir = await fs.mkdtemp(path.join(os.tmpdir(), 'objects-factory-'));
    try {
      const store = createObjectStore({
        rootDir,
        signingSecret: 'x'.repeat(32),
        publicBaseUrl: 'http://localhost:3001',
        namespace: 'media',
      });
      assert.equal(store.kind, 'local');
      await store.put('a/b.txt', Buffer.from('hi'));
      assert.equal(await fs.readFile(path.join(rootDir, 'media', 'a', 'b.txt'), 'utf8'), 'hi');
      const presigned = await store.presignGet('a/b.txt', { expiresInSeconds: 60 });
      assert.match(
        presigned.url,
        /^http:\/\/localhost:3001\/_objects\/a\/b\.txt\?method=GET&expires=\d+&sig=[0-9a-f]{64}$/,
      );
    } finally {
      await fs.rm(rootDir, { recursive: true, force: true });
    }
  });

  test('picks S3 under <namespace>/ when configured', () => {
    const store = createObjectStore({
      s3: {
        endpoint: 'http://127.0.0.1:9000',
        bucket: 'bucket',
        accessKeyId: 'a',
        secretAccessKey: 'b',
        region: 'us-east-1',
      },
      rootDir: '/unused',
      signingSecret: 'x'.repeat(32),
      publicBaseUrl: 'http://localhost:3001',
      namespace: 'kyc',
    });
    assert.equal(store.kind, 's3');
    if (store.kind === 's3') assert.equal(store.objectKey('doc/1.png'), 'kyc/doc/1.png');
  });

  test('refuses a namespace that is not a plain name', () => {
    for (const namespace of ['', '../x', 'a/b', 'UPPER', '.hidden']) {
      assert.throws(
        () =>
          createObjectStore({
            rootDir: '/tmp',
            signingSecret: 'x',
            publicBaseUrl: 'http://localhost:1',
            namespace,
          }),
        RangeError,
      );
    }
  });
});
