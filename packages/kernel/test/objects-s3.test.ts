// No S3 or MinIO server is available to the suite, so this covers what does not need one:
// key prefixing, presigned URL contents (signed offline), and the requests the store builds,
// answered by a stub HTTP handler that stands in for the remote service.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import {
  createS3Client,
  createS3ObjectStore,
  InvalidObjectKeyError,
  ObjectExistsError,
  ObjectIntegrityError,
  ObjectNotFoundError,
  ObjectTooLargeError,
  type S3Config,
} from '../src/objects/index.js';
import { normalizeS3Prefix, rangeHeader } from '../src/objects/s3-object-store.js';

const config: S3Config = {
  endpoint: 'http://127.0.0.1:9000',
  bucket: 'trustplane',
  accessKeyId: 'test-access-key',
  secretAccessKey: 'test-secret-key',
  region: 'us-east-1',
};
const FIXED_NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  bodyLength: number;
}

interface StubResponse {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

async function bodyLength(body: unknown): Promise<number> {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  if (body instanceof Readable) {
    let length = 0;
    for await (const chunk of body) length += (chunk as Buffer).length;
    return length;
  }
  throw new Error(`unexpected request body ${typeof body}`);
}

/** An S3 client whose HTTP layer records each request and answers from `respond`. */
function stubbedClient(respond: (request: RecordedRequest) => StubResponse) {
  const requests: RecordedRequest[] = [];
  const client = new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: {
      async handle(request: {
        method: string;
        path: string;
        query?: Record<string, string | string[] | null>;
        headers: Record<string, string>;
        body?: unknown;
      }) {
        const recorded: RecordedRequest = {
          method: request.method,
          path: request.path,
          query: request.query ?? {},
          headers: request.headers,
          bodyLength: await bodyLength(request.body),
        };
        requests.push(recorded);
        const answer = respond(recorded);
        return {
          response: {
            statusCode: answer.statusCode,
            reason: undefined,
            headers: answer.headers ?? {},
            body: Readable.from([Buffer.from(answer.body ?? '')]),
          },
        };
      },
    },
  });
  return { client, requests };
}

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;

/** Plays a bucket that accepts multipart uploads. */
function multipartResponder(request: RecordedRequest): StubResponse {
  const query = request.query;
  if (request.method === 'POST' && 'uploads' in query) {
    return {
      statusCode: 200,
      body: xml(
        '<InitiateMultipartUploadResult><Bucket>trustplane</Bucket><Key>k</Key><UploadId>upload-1</UploadId></InitiateMultipartUploadResult>',
      ),
    };
  }
  if (request.method === 'PUT' && query.partNumber) {
    return { statusCode: 200, headers: { etag: `"part-${query.partNumber}"` } };
  }
  if (request.method === 'POST' && query.uploadId) {
    return {
      statusCode: 200,
      body: xml('<CompleteMultipartUploadResult><ETag>"whole-3"</ETag></CompleteMultipartUploadResult>'),
    };
  }
  if (request.method === 'PUT' && request.headers['x-amz-copy-source']) {
    return { statusCode: 200, body: xml('<CopyObjectResult><ETag>"copied"</ETag></CopyObjectResult>') };
  }
  if (request.method === 'DELETE' && query.uploadId) return { statusCode: 204 };
  if (request.method === 'PUT') return { statusCode: 200, headers: { etag: '"single"' } };
  return { statusCode: 500, body: 'unexpected' };
}

function header(request: RecordedRequest, name: string): string | undefined {
  const entry = Object.entries(request.headers).find(([key]) => key.toLowerCase() === name);
  return entry?.[1];
}

describe('S3 object store: keys and prefixes', () => {
  test('prefixes keys with the namespace and refuses invalid keys', () => {
    const store = createS3ObjectStore(config, { prefix: '/kyc/' });
    assert.equal(store.prefix, 'kyc/');
    assert.equal(store.objectKey('sessions/abc/front.jpg'), 'kyc/sessions/abc/front.jpg');
    assert.equal(createS3ObjectStore(config).objectKey('a.txt'), 'a.txt');
    for (const key of ['../x', '/abs', 'a//b', 'sp ace', '']) {
      assert.throws(() => store.objectKey(key), InvalidObjectKeyError);
    }
    assert.equal(normalizeS3Prefix(undefined), '');
    assert.equal(normalizeS3Prefix('media/v1'), 'media/v1/');
    assert.equal(normalizeS3Prefix('//media/v1///'), 'media/v1/');
    assert.equal(normalizeS3Prefix('///'), '');
    assert.throws(() => normalizeS3Prefix('../up'), InvalidObjectKeyError);
  });

  test('builds Range headers, open-ended included', () => {
    assert.equal(rangeHeader({ start: 0, end: 9 }), 'bytes=0-9');
    assert.equal(rangeHeader({ start: 5, end: Number.POSITIVE_INFINITY }), 'bytes=5-');
  });

  test('the default client uses path-style addressing and on-demand checksums', async () => {
    const client = createS3Client(config);
    assert.equal(client.config.forcePathStyle, true);
    assert.equal(await client.config.requestChecksumCalculation(), 'WHEN_REQUIRED');
    client.destroy();
  });
});

describe('S3 object store: presigned URLs', () => {
  const store = createS3ObjectStore(config, { prefix: 'media', now: () => FIXED_NOW });

  test('presigned PUT binds content type and length as signed headers', async () => {
    const presigned = await store.presignPut('uploads/photo.png', {
      contentType: 'image/png',
      contentLength: 1234,
      expiresInSeconds: 900,
    });
    const url = new URL(presigned.url);
    assert.equal(url.origin, 'http://127.0.0.1:9000');
    assert.equal(url.pathname, '/trustplane/media/uploads/photo.png');
    assert.equal(url.searchParams.get('X-Amz-SignedHeaders'), 'content-length;content-type;host');
    assert.equal(url.searchParams.get('X-Amz-Expires'), '900');
    assert.equal(url.searchParams.get('X-Amz-Date'), '20260115T120000Z');
    assert.equal(url.searchParams.get('x-amz-checksum-crc32'), null, 'no checksum of an empty body');
    assert.equal(url.searchParams.get('x-amz-sdk-checksum-algorithm'), null);
    assert.deepEqual(presigned.headers, { 'content-type': 'image/png', 'content-length': '1234' });
    assert.equal(presigned.method, 'PUT');
    assert.equal(presigned.expiresAt.getTime(), FIXED_NOW + 900_000);
  });

  test('presigned PUT with a sha-256 makes the client send it for S3 to verify', async () => {
    const hash = sha256('payload');
    const presigned = await store.presignPut('uploads/doc.pdf', {
      contentType: 'application/pdf',
      contentLength: 7,
      expiresInSeconds: 60,
      sha256: hash,
    });
    const url = new URL(presigned.url);
    assert.equal(
      url.searchParams.get('X-Amz-SignedHeaders'),
      'content-length;content-type;host;x-amz-checksum-sha256;x-amz-meta-sha256',
    );
    assert.deepEqual(presigned.headers, {
      'content-type': 'application/pdf',
      'content-length': '7',
      'x-amz-checksum-sha256': Buffer.from(hash, 'hex').toString('base64'),
      'x-amz-meta-sha256': hash,
    });
  });

  test('a create-only presigned PUT signs If-None-Match: * (S3 refuses a second write with 412)', async () => {
    const presigned = await store.presignPut('uploads/once.jpg', {
      contentType: 'image/jpeg',
      contentLength: 10,
      expiresInSeconds: 900,
      createOnly: true,
    });
    const url = new URL(presigned.url);
    assert.equal(
      url.searchParams.get('X-Amz-SignedHeaders'),
      'content-length;content-type;host;if-none-match',
    );
    assert.deepEqual(presigned.headers, {
      'content-type': 'image/jpeg',
      'content-length': '10',
      'if-none-match': '*',
    });
  });

  test('presigned GET carries the attachment disposition and content type', async () => {
    const presigned = await store.presignGet('uploads/doc.pdf', {
      expiresInSeconds: 60,
      downloadName: 'Relevé "mai".pdf',
      contentType: 'application/pdf',
    });
    const url = new URL(presigned.url);
    assert.equal(
      url.searchParams.get('response-content-disposition'),
      `attachment; filename="Relev_ _mai_.pdf"; filename*=UTF-8''Relev%C3%A9%20_mai_.pdf`,
    );
    assert.equal(url.searchParams.get('response-content-type'), 'application/pdf');
    assert.equal(url.searchParams.get('X-Amz-SignedHeaders'), 'host');
    assert.deepEqual(presigned.headers, {});
  });

  test('refuses expiries S3 cannot honour and invalid parameters', async () => {
    await assert.rejects(store.presignGet('a', { expiresInSeconds: 0 }), RangeError);
    await assert.rejects(store.presignGet('a', { expiresInSeconds: 604_801 }), RangeError);
    await assert.rejects(
      store.presignPut('a', { contentType: 'bad\r\ntype', contentLength: 1, expiresInSeconds: 60 }),
      RangeError,
    );
    await assert.rejects(
      store.presignPut('a', { contentType: 'a/b', contentLength: -1, expiresInSeconds: 60 }),
      RangeError,
    );
    await assert.rejects(
      store.presignPut('a', { contentType: 'a/b', contentLength: 1, expiresInSeconds: 60, sha256: 'nothex' }),
      RangeError,
    );
  });
});

describe('S3 object store: requests it builds', () => {
  test('a small body goes in one PutObject with its hash as metadata and checksum', async () => {
    const { client, requests } = stubbedClient(multipartResponder);
    const store = createS3ObjectStore(config, { prefix: 'kyc', client });
    const body = Buffer.from('small document');
    const stored = await store.put('docs/1.txt', body, { contentType: 'text/plain' });
    assert.deepEqual(stored, {
      key: 'docs/1.txt',
      size: body.length,
      sha256: sha256(body),
      contentType: 'text/plain',
    });
    assert.equal(requests.length, 1);
    const [put] = requests;
    assert.equal(put?.method, 'PUT');
    assert.equal(put?.path, '/trustplane/kyc/docs/1.txt');
    assert.equal(put?.bodyLength, body.length);
    assert.equal(header(put!, 'content-length'), String(body.length));
    assert.equal(header(put!, 'content-type'), 'text/plain');
    assert.equal(header(put!, 'x-amz-meta-sha256'), sha256(body));
    assert.equal(header(put!, 'x-amz-checksum-sha256'), Buffer.from(sha256(body), 'hex').toString('base64'));
  });

  test('a large streamed body goes multipart, then gets its hash attached by a guarded self-copy', async () => {
    const { client, requests } = stubbedClient(multipartResponder);
    const store = createS3ObjectStore(config, { prefix: 'media', client, partSizeBytes: 1024 });
    const chunks = Array.from({ length: 10 }, (_, i) => Buffer.alloc(300, String(i)));
    const stored = await store.put('videos/v.mp4', Readable.from(chunks), { contentType: 'video/mp4' });
    const whole = Buffer.concat(chunks);
    assert.equal(stored.size, 3000);
    assert.equal(stored.sha256, sha256(whole));

    const summary = requests.map(
      (r) =>
        `${r.method} ${'uploads' in r.query ? 'create' : r.query.partNumber ? `part${r.query.partNumber}` : r.query.uploadId ? 'complete' : header(r, 'x-amz-copy-source') ? 'copy' : 'put'}`,
    );
    assert.deepEqual(summary, [
      'POST create',
      'PUT part1',
      'PUT part2',
      'PUT part3',
      'POST complete',
      'PUT copy',
    ]);
    assert.deepEqual(
      requests.filter((r) => r.query.partNumber).map((r) => r.bodyLength),
      [1200, 1200, 600],
    );
    const copy = requests.at(-1)!;
    assert.equal(header(copy, 'x-amz-copy-source'), 'trustplane/media/videos/v.mp4');
    assert.equal(header(copy, 'x-amz-copy-source-if-match'), '"whole-3"');
    assert.equal(header(copy, 'x-amz-metadata-directive'), 'REPLACE');
    assert.equal(header(copy, 'x-amz-meta-sha256'), sha256(whole));
    assert.equal(header(copy, 'content-type'), 'video/mp4');
  });

  test('a multipart body past maxBytes is aborted and never completed', async () => {
    const { client, requests } = stubbedClient(multipartResponder);
    const store = createS3ObjectStore(config, { client, partSizeBytes: 1024 });
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(300));
    await assert.rejects(
      store.put('too/big', Readable.from(chunks), { maxBytes: 2000 }),
      ObjectTooLargeError,
    );
    const last = requests.at(-1)!;
    assert.equal(last.method, 'DELETE');
    assert.equal(last.query.uploadId, 'upload-1');
    assert.ok(!requests.some((r) => r.method === 'POST' && r.query.uploadId), 'no CompleteMultipartUpload');
  });

  test('a hash mismatch is caught before anything is sent', async () => {
    const { client, requests } = stubbedClient(multipartResponder);
    const store = createS3ObjectStore(config, { client });
    await assert.rejects(
      store.put('x', Buffer.from('abc'), { expectedSha256: sha256('other') }),
      (error: unknown) => error instanceof ObjectIntegrityError && error.mismatch === 'sha256',
    );
    await assert.rejects(store.put('x', Buffer.from('abc'), { expectedSize: 4 }), ObjectIntegrityError);
    assert.equal(requests.length, 0);
  });

  test("createOnly sends If-None-Match: * and turns S3's 412 into ObjectExistsError", async () => {
    const { client, requests } = stubbedClient((request) =>
      header(request, 'if-none-match') === '*' && request.path.endsWith('/taken.txt')
        ? {
            statusCode: 412,
            body: xml(
              '<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>',
            ),
          }
        : { statusCode: 200, headers: { etag: '"single"' } },
    );
    const store = createS3ObjectStore(config, { prefix: 'kyc', client });
    await store.put('docs/new.txt', Buffer.from('x'), { createOnly: true });
    assert.equal(header(requests[0]!, 'if-none-match'), '*');
    await assert.rejects(
      store.put('docs/taken.txt', Buffer.from('x'), { createOnly: true }),
      (error: unknown) => error instanceof ObjectExistsError && error.key === 'docs/taken.txt',
    );
    await store.put('docs/plain.txt', Buffer.from('x'));
    assert.equal(header(requests[2]!, 'if-none-match'), undefined);
  });

  test('deletePrefix lists page by page and deletes each page in one request', async () => {
    const listed: string[] = [];
    const deletedBodies: number[] = [];
    const { client, requests } = stubbedClient((request) => {
      if (request.method === 'GET' && request.query['list-type'] === '2') {
        listed.push(String(request.query.prefix));
        const second = request.query['continuation-token'] === 'page-2';
        const keys = second ? ['kyc/sessions/s1/c.png'] : ['kyc/sessions/s1/a.jpg', 'kyc/sessions/s1/b.jpg'];
        return {
          statusCode: 200,
          body: xml(
            `<ListBucketResult><IsTruncated>${!second}</IsTruncated>${second ? '' : '<NextContinuationToken>page-2</NextContinuationToken>'}${keys.map((key) => `<Contents><Key>${key}</Key></Contents>`).join('')}</ListBucketResult>`,
          ),
        };
      }
      if (request.method === 'POST' && 'delete' in request.query) {
        deletedBodies.push(request.bodyLength);
        return { statusCode: 200, body: xml('<DeleteResult></DeleteResult>') };
      }
      return { statusCode: 500, body: 'unexpected' };
    });
    const store = createS3ObjectStore(config, { prefix: 'kyc', client });
    assert.equal(await store.deletePrefix('sessions/s1/'), 3);
    assert.deepEqual(listed, ['kyc/sessions/s1/', 'kyc/sessions/s1/']);
    assert.equal(deletedBodies.length, 2);
    assert.equal(requests.length, 4);
    await assert.rejects(store.deletePrefix('sessions/s1'), InvalidObjectKeyError);
  });

  test('a GET URL bound to a sha-256 is issued only for an object with that content', async () => {
    const content = 'recorded bytes';
    const { client } = stubbedClient((request) => {
      const known = request.path.endsWith('/known.jpg');
      if (request.method === 'HEAD') {
        return {
          statusCode: 200,
          headers: {
            'content-length': String(content.length),
            ...(known ? { 'x-amz-meta-sha256': sha256(content) } : {}),
          },
        };
      }
      return { statusCode: 200, headers: { 'content-length': '5' }, body: 'other' };
    });
    const store = createS3ObjectStore(config, { prefix: 'kyc', client, now: () => FIXED_NOW });
    const url = await store.presignGet('docs/known.jpg', { expiresInSeconds: 60, sha256: sha256(content) });
    assert.equal(url.method, 'GET');
    await assert.rejects(
      store.presignGet('docs/known.jpg', { expiresInSeconds: 60, sha256: sha256('different') }),
      ObjectIntegrityError,
    );
    // No recorded hash (a presigned upload): the bytes are hashed, and here they differ.
    await assert.rejects(
      store.presignGet('docs/unknown.jpg', { expiresInSeconds: 60, sha256: sha256(content) }),
      ObjectIntegrityError,
    );
    await store.presignGet('docs/unknown.jpg', { expiresInSeconds: 60, sha256: sha256('other') });
  });

  test('get sends the range and reads size, hash and range back', async () => {
    const { client, requests } = stubbedClient(() => ({
      statusCode: 206,
      headers: {
        'content-type': 'text/plain',
        'content-length': '4',
        'content-range': 'bytes 2-5/10',
        'x-amz-meta-sha256': 'ab'.repeat(32),
        'last-modified': 'Thu, 15 Jan 2026 12:00:00 GMT',
      },
      body: '2345',
    }));
    const store = createS3ObjectStore(config, { prefix: 'kyc', client });
    const object = await store.get('docs/1.txt', { start: 2, end: 5 });
    assert.equal(header(requests[0]!, 'range'), 'bytes=2-5');
    assert.equal(await text(object.body), '2345');
    assert.deepEqual(object.range, { start: 2, end: 5 });
    assert.equal(object.head.size, 10);
    assert.equal(object.head.sha256, 'ab'.repeat(32));
    assert.equal(object.head.contentType, 'text/plain');
    assert.equal(object.head.lastModified.getTime(), FIXED_NOW);
  });

  test('missing objects: get throws ObjectNotFoundError, head is undefined, delete succeeds', async () => {
    const { client } = stubbedClient((request) =>
      request.method === 'DELETE'
        ? { statusCode: 204 }
        : request.method === 'HEAD'
          ? { statusCode: 404 }
          : {
              statusCode: 404,
              body: xml(
                '<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>',
              ),
            },
    );
    const store = createS3ObjectStore(config, { client });
    await assert.rejects(store.get('nope'), ObjectNotFoundError);
    assert.equal(await store.head('nope'), undefined);
    await store.delete('nope');
  });
});
