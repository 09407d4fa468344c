import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Config } from '../config/platform-config.js';
import { assertValidObjectKey, assertValidObjectPrefix } from './object-key.js';
import {
  type ByteRange,
  type GetObjectResult,
  ObjectExistsError,
  type ObjectHead,
  ObjectIntegrityError,
  ObjectNotFoundError,
  type ObjectStore,
  ObjectTooLargeError,
  type PresignedRequest,
  type PresignGetOptions,
  type PresignPutOptions,
  type PutOptions,
  RangeNotSatisfiableError,
  type StoredObject,
} from './object-store.js';
import {
  assertByteCount,
  assertContentType,
  attachmentDisposition,
  normalizeSha256,
  validatePresignGet,
  validatePresignPut,
} from './presign-options.js';
import { trimChar } from '../text/trim-char.js';

export type { S3Config };

export interface S3ObjectStoreOptions {
  /** Every key is stored under `<prefix>/`. */
  prefix?: string;
  /** Bodies up to this size go in one PutObject; larger ones as multipart parts of this size (S3 minimum 5 MiB). */
  partSizeBytes?: number;
  /** Defaults to `createS3Client(config)`. */
  client?: S3Client;
  /** Milliseconds since the epoch, for signing dates and `expiresAt`. */
  now?: () => number;
}

export interface S3ObjectStore extends ObjectStore {
  readonly kind: 's3';
  readonly bucket: string;
  /** `''` or a prefix ending in `/`. */
  readonly prefix: string;
  readonly client: S3Client;
  /** The bucket key a store key maps to. */
  objectKey(key: string): string;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const MAX_PARTS = 10_000;
/** Largest object a single CopyObject may copy (used to attach the hash after a multipart upload). */
const MAX_COPY_BYTES = 5 * 1024 ** 3;
/** SigV4 presigned URLs live at most a week. */
const MAX_PRESIGN_SECONDS = 604_800;

/**
 * Path-style addressing for MinIO and other self-hosted endpoints. Checksums only when the
 * operation requires them: the SDK's default adds a CRC32 of an empty body to presigned PUT
 * URLs (which then refuse every real upload) and uses aws-chunked trailers some S3-compatible
 * servers reject.
 */
export function createS3Client(config: S3Config): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export function normalizeS3Prefix(prefix: string | undefined): string {
  const trimmed = trimChar(prefix ?? '', '/');
  if (trimmed === '') return '';
  assertValidObjectKey(trimmed);
  return `${trimmed}/`;
}

function sha256Base64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

/** A conditional write lost: 412 when the key holds an object, 409 when another write raced it. */
function isConditionFailure(error: unknown): boolean {
  const name = errorName(error);
  const status = httpStatus(error);
  return (
    name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || status === 412 || status === 409
  );
}

function isMissingObject(error: unknown): boolean {
  const name = errorName(error);
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatus(error) === 404;
}

/** `bytes 0-9/100` → range and total. */
function parseContentRange(value: string | undefined): { range: ByteRange; total: number } | undefined {
  const match = value === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+)$/.exec(value);
  if (!match) return undefined;
  return { range: { start: Number(match[1]), end: Number(match[2]) }, total: Number(match[3]) };
}

function isWellFormedRange(range: ByteRange): boolean {
  const endIsValid = Number.isSafeInteger(range.end) || range.end === Number.POSITIVE_INFINITY;
  return Number.isSafeInteger(range.start) && range.start >= 0 && endIsValid && range.end >= range.start;
}

export function rangeHeader(range: ByteRange): string {
  return `bytes=${range.start}-${range.end === Number.POSITIVE_INFINITY ? '' : range.end}`;
}

/**
 * Yields the body in parts of at least `partSize` bytes (the last one may be shorter, even
 * empty), so memory holds one part at a time. `onBytes` sees every chunk first and may throw.
 */
async function* partsOf(
  body: Readable | Buffer,
  partSize: number,
  onBytes: (bytes: Uint8Array) => void,
): AsyncGenerator<Buffer, void, undefined> {
  const chunks: Uint8Array[] = [];
  let buffered = 0;
  const source: AsyncIterable<unknown> | Iterable<unknown> = Buffer.isBuffer(body) ? [body] : body;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
    onBytes(bytes);
    chunks.push(bytes);
    buffered += bytes.byteLength;
    if (buffered >= partSize) {
      yield Buffer.concat(chunks, buffered);
      chunks.length = 0;
      buffered = 0;
    }
  }
  yield Buffer.concat(chunks, buffered);
}

export function createS3ObjectStore(config: S3Config, options: S3ObjectStoreOptions = {}): S3ObjectStore {
  const client = options.client ?? createS3Client(config);
  const bucket = config.bucket;
  const prefix = normalizeS3Prefix(options.prefix);
  const partSize = options.partSizeBytes ?? DEFAULT_PART_SIZE;
  const now = options.now ?? Date.now;
  if (!Number.isSafeInteger(partSize) || partSize < 1)
    throw new RangeError('partSizeBytes must be a positive integer');

  function objectKey(key: string): string {
    assertValidObjectKey(key);
    return prefix + key;
  }

  function presignSeconds(expiresInSeconds: number): number {
    if (
      !Number.isInteger(expiresInSeconds) ||
      expiresInSeconds < 1 ||
      expiresInSeconds > MAX_PRESIGN_SECONDS
    ) {
      throw new RangeError(`expiresInSeconds must be an integer from 1 to ${MAX_PRESIGN_SECONDS} for S3`);
    }
    return expiresInSeconds;
  }

  async function multipartUpload(input: {
    key: string;
    bucketKey: string;
    contentType: string | undefined;
    firstPart: Buffer;
    parts: AsyncGenerator<Buffer, void, undefined>;
    finish: () => { size: number; sha256: string };
    knownSha256: string | undefined;
    createOnly: boolean;
  }): Promise<{ size: number; sha256: string }> {
    const { bucketKey, contentType } = input;
    const created = await client.send(
      new CreateMultipartUploadCommand({
        Bucket: bucket,
        Key: bucketKey,
        ContentType: contentType,
        Metadata: input.knownSha256 ? { sha256: input.knownSha256 } : undefined,
      }),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error('S3 returned no UploadId');
    const completed: { ETag: string | undefined; PartNumber: number }[] = [];
    let result: { size: number; sha256: string };
    let etag: string | undefined;
    try {
      let part: Buffer | undefined = input.firstPart;
      while (part !== undefined) {
        if (part.byteLength > 0) {
          const partNumber = completed.length + 1;
          if (partNumber > MAX_PARTS)
            throw new Error(`object ${input.key} needs more than ${MAX_PARTS} parts`);
          const uploaded = await client.send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: bucketKey,
              UploadId: uploadId,
              PartNumber: partNumber,
              Body: part,
              ContentLength: part.byteLength,
            }),
          );
          completed.push({ ETag: uploaded.ETag, PartNumber: partNumber });
        }
        const next = await input.parts.next();
        part = next.done ? undefined : next.value;
      }
      result = input.finish();
      const done = await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: bucketKey,
          UploadId: uploadId,
          MultipartUpload: { Parts: completed },
          IfNoneMatch: input.createOnly ? '*' : undefined,
        }),
      );
      etag = done.ETag;
    } catch (error) {
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: bucketKey, UploadId: uploadId }))
        .catch(() => undefined);
      if (input.createOnly && isConditionFailure(error)) throw new ObjectExistsError(input.key);
      throw error;
    }
    // Metadata is fixed when the upload starts, before the hash is known: attach it with a
    // self-copy, only onto the object we wrote (a concurrent writer's newer one fails the match).
    // The upload has succeeded either way; without it `head` reports the hash as unknown.
    if (!input.knownSha256 && result.size <= MAX_COPY_BYTES) {
      await client
        .send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: bucketKey,
            CopySource: `${bucket}/${bucketKey}`,
            CopySourceIfMatch: etag,
            MetadataDirective: 'REPLACE',
            ContentType: contentType,
            Metadata: { sha256: result.sha256 },
          }),
        )
        .catch(() => undefined);
    }
    return result;
  }

  async function head(key: string): Promise<ObjectHead | undefined> {
    const bucketKey = objectKey(key);
    try {
      const output = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: bucketKey }));
      return {
        key,
        size: output.ContentLength ?? 0,
        contentType: output.ContentType,
        sha256: output.Metadata?.sha256,
        lastModified: output.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
  }

  async function streamedSha256(key: string): Promise<string> {
    const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
    const hash = createHash('sha256');
    for await (const chunk of output.Body as Readable) hash.update(chunk as Uint8Array);
    return hash.digest('hex');
  }

  async function rangeNotSatisfiable(key: string): Promise<never> {
    const current = await head(key);
    if (!current) throw new ObjectNotFoundError(key);
    throw new RangeNotSatisfiableError(key, current.size);
  }

  return {
    kind: 's3',
    bucket,
    prefix,
    client,
    objectKey,

    async put(key: string, body: Readable | Buffer, putOptions: PutOptions = {}): Promise<StoredObject> {
      const bucketKey = objectKey(key);
      const { contentType, maxBytes, expectedSize } = putOptions;
      if (contentType !== undefined) assertContentType(contentType);
      if (maxBytes !== undefined) assertByteCount(maxBytes, 'maxBytes');
      if (expectedSize !== undefined) assertByteCount(expectedSize, 'expectedSize');
      const expectedSha256 =
        putOptions.expectedSha256 === undefined ? undefined : normalizeSha256(putOptions.expectedSha256);

      const hash = createHash('sha256');
      let size = 0;
      const parts = partsOf(body, partSize, (bytes) => {
        size += bytes.byteLength;
        if (maxBytes !== undefined && size > maxBytes) throw new ObjectTooLargeError(maxBytes);
        hash.update(bytes);
      });
      // Called once the body has ended, before anything is committed.
      const finish = () => {
        const sha256 = hash.digest('hex');
        if (expectedSize !== undefined && size !== expectedSize) throw new ObjectIntegrityError(key, 'size');
        if (expectedSha256 !== undefined && sha256 !== expectedSha256)
          throw new ObjectIntegrityError(key, 'sha256');
        return { size, sha256 };
      };

      const first = await parts.next();
      const firstPart = first.done ? Buffer.alloc(0) : first.value;
      if (firstPart.byteLength < partSize) {
        // The whole body fitted in one part: one request with the hash already known.
        const result = finish();
        try {
          await client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: bucketKey,
              Body: firstPart,
              ContentLength: result.size,
              ContentType: contentType,
              Metadata: { sha256: result.sha256 },
              ChecksumSHA256: sha256Base64(result.sha256),
              IfNoneMatch: putOptions.createOnly ? '*' : undefined,
            }),
          );
        } catch (error) {
          if (putOptions.createOnly && isConditionFailure(error)) throw new ObjectExistsError(key);
          throw error;
        }
        return { key, size: result.size, sha256: result.sha256, contentType };
      }
      const result = await multipartUpload({
        key,
        bucketKey,
        contentType,
        firstPart,
        parts,
        finish,
        knownSha256: expectedSha256,
        createOnly: putOptions.createOnly === true,
      });
      return { key, size: result.size, sha256: result.sha256, contentType };
    },

    async get(key: string, range?: ByteRange): Promise<GetObjectResult> {
      const bucketKey = objectKey(key);
      if (range && !isWellFormedRange(range)) return rangeNotSatisfiable(key);
      let output: GetObjectCommandOutput;
      try {
        output = await client.send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: bucketKey,
            Range: range ? rangeHeader(range) : undefined,
          }),
        );
      } catch (error) {
        if (isMissingObject(error)) throw new ObjectNotFoundError(key);
        if (errorName(error) === 'InvalidRange' || httpStatus(error) === 416) return rangeNotSatisfiable(key);
        throw error;
      }
      const served = parseContentRange(output.ContentRange);
      const size = served?.total ?? output.ContentLength ?? 0;
      const objectHead: ObjectHead = {
        key,
        size,
        contentType: output.ContentType,
        sha256: output.Metadata?.sha256,
        lastModified: output.LastModified ?? new Date(0),
      };
      const body = output.Body as Readable;
      if (!range) return { body, head: objectHead };
      return { body, head: objectHead, range: served?.range ?? { start: 0, end: Math.max(0, size - 1) } };
    },

    head,

    async delete(key: string): Promise<void> {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
    },

    async deletePrefix(keyPrefix: string): Promise<number> {
      assertValidObjectPrefix(keyPrefix);
      const bucketPrefix = prefix + keyPrefix;
      let removed = 0;
      let continuationToken: string | undefined;
      do {
        // A page holds at most 1000 keys, which is also what one DeleteObjects accepts.
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: bucketPrefix,
            ContinuationToken: continuationToken,
          }),
        );
        const keys = (page.Contents ?? []).flatMap((item) => (item.Key ? [{ Key: item.Key }] : []));
        if (keys.length > 0) {
          const deleted = await client.send(
            new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }),
          );
          const failed = deleted.Errors ?? [];
          if (failed.length > 0) {
            throw new Error(
              `S3 refused to delete ${failed.length} object(s) under ${keyPrefix}: ${failed[0]?.Code ?? 'unknown'}`,
            );
          }
          removed += keys.length;
        }
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken);
      return removed;
    },

    async presignPut(key: string, presignOptions: PresignPutOptions): Promise<PresignedRequest> {
      const bucketKey = objectKey(key);
      const valid = validatePresignPut(presignOptions);
      const expiresIn = presignSeconds(valid.expiresInSeconds);
      const signingDate = new Date(now());
      const headers: Record<string, string> = {
        'content-type': valid.contentType,
        'content-length': String(valid.contentLength),
      };
      if (valid.sha256) {
        // Kept as signed headers rather than query parameters: S3 then verifies the body's
        // checksum itself, and every S3-compatible server honours signed headers.
        headers['x-amz-checksum-sha256'] = sha256Base64(valid.sha256);
        headers['x-amz-meta-sha256'] = valid.sha256;
      }
      // S3's conditional write: signed, so a client cannot drop it to overwrite what was uploaded.
      if (valid.createOnly) headers['if-none-match'] = '*';
      const command = new PutObjectCommand({
        Bucket: bucket,
        Key: bucketKey,
        ContentType: valid.contentType,
        ContentLength: valid.contentLength,
        Metadata: valid.sha256 ? { sha256: valid.sha256 } : undefined,
        ChecksumSHA256: valid.sha256 ? sha256Base64(valid.sha256) : undefined,
        IfNoneMatch: valid.createOnly ? '*' : undefined,
      });
      const url = await getSignedUrl(client, command, {
        expiresIn,
        signingDate,
        signableHeaders: new Set(['content-type', 'content-length', 'if-none-match']),
        unhoistableHeaders: new Set(['x-amz-checksum-sha256', 'x-amz-meta-sha256']),
      });
      return { url, method: 'PUT', headers, expiresAt: new Date(signingDate.getTime() + expiresIn * 1000) };
    },

    async presignGet(key: string, presignOptions: PresignGetOptions): Promise<PresignedRequest> {
      const bucketKey = objectKey(key);
      const valid = validatePresignGet(presignOptions);
      const expiresIn = presignSeconds(valid.expiresInSeconds);
      // A plain GET URL cannot carry a condition S3 enforces: the content is checked now instead.
      if (valid.sha256 !== undefined) {
        const current = await head(key);
        if (!current) throw new ObjectNotFoundError(key);
        const actual = current.sha256 ?? (await streamedSha256(key));
        if (actual !== valid.sha256) throw new ObjectIntegrityError(key, 'sha256');
      }
      const signingDate = new Date(now());
      const command = new GetObjectCommand({
        Bucket: bucket,
        Key: bucketKey,
        ResponseContentDisposition:
          valid.downloadName === undefined ? undefined : attachmentDisposition(valid.downloadName),
        ResponseContentType: valid.contentType,
      });
      const url = await getSignedUrl(client, command, { expiresIn, signingDate });
      return {
        url,
        method: 'GET',
        headers: {},
        expiresAt: new Date(signingDate.getTime() + expiresIn * 1000),
      };
    },
  };
}
