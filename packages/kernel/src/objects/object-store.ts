import type { Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  size: number;
  /** Hex sha-256 of the bytes, computed while streaming. */
  sha256: string;
  contentType: string | undefined;
}

export interface ObjectHead {
  key: string;
  size: number;
  contentType: string | undefined;
  /** Known when the object was written through this store (local disk records it; S3 via metadata). */
  sha256: string | undefined;
  lastModified: Date;
}

export interface PutOptions {
  contentType?: string;
  /** Abort with `ObjectTooLargeError` (and leave nothing behind) past this many bytes. */
  maxBytes?: number;
  /** Refuse with `ObjectIntegrityError` (nothing written) unless the body has exactly this many bytes. */
  expectedSize?: number;
  /** Refuse with `ObjectIntegrityError` (nothing written) unless the body hashes to this hex sha-256. */
  expectedSha256?: string;
  /** Write only a new object: refuse with `ObjectExistsError` (nothing written) if the key holds one. */
  createOnly?: boolean;
  /**
   * The body's chunks are handed over: the store may free each chunk's memory (see `releaseChunk`)
   * once its bytes are written. Only for chunks nobody else reads, e.g. an HTTP request body's.
   */
  releaseChunks?: boolean;
}

export interface ByteRange {
  /** Inclusive start and end offsets; an `end` past the last byte (or `Infinity`) is clamped to it. */
  start: number;
  end: number;
}

export interface GetObjectResult {
  body: Readable;
  head: ObjectHead;
  /** The bytes the body carries, once clamped; present when a range was asked for. */
  range?: ByteRange;
  /**
   * Every chunk of `body` is a buffer read for this stream alone: a consumer may free each one once
   * it has sent it (`releaseChunksOnceWritten`).
   */
  chunksReleasable?: boolean;
}

export interface PresignPutOptions {
  contentType: string;
  /** The exact number of bytes the upload must carry. */
  contentLength: number;
  expiresInSeconds: number;
  /** When given, the upload must hash to this (hex sha-256). */
  sha256?: string;
  /**
   * The URL only creates: once an object exists at the key (this upload, or any other), a PUT is
   * refused with 412, so a replayed URL cannot replace what was uploaded. Local disk enforces it from
   * the signed URL; S3 through the `If-None-Match: *` header in `headers`, which the client must send
   * (it is signed, so it cannot be dropped).
   */
  createOnly?: boolean;
}

export interface PresignGetOptions {
  expiresInSeconds: number;
  /** Served as `Content-Disposition: attachment; filename=…` when set. */
  downloadName?: string;
  contentType?: string;
  /**
   * The URL serves only an object with this content (hex sha-256): local disk checks the object's
   * recorded hash on every read (412 otherwise); S3 cannot condition a plain GET URL, so the hash is
   * checked when the URL is issued (`ObjectIntegrityError`), which holds for objects written
   * create-only.
   */
  sha256?: string;
}

export interface PresignedRequest {
  url: string;
  method: 'PUT' | 'GET';
  /** Headers the client must send with the request (content type, length). */
  headers: Record<string, string>;
  expiresAt: Date;
}

/** Blob storage behind every service: local disk by default, S3/MinIO when configured. */
export interface ObjectStore {
  readonly kind: 'local' | 's3';
  put(key: string, body: Readable | Buffer, options?: PutOptions): Promise<StoredObject>;
  get(key: string, range?: ByteRange): Promise<GetObjectResult>;
  head(key: string): Promise<ObjectHead | undefined>;
  /** Idempotent: deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
  /** Deletes every object whose key starts with `prefix` (which must end with `/`); returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest>;
  presignGet(key: string, options: PresignGetOptions): Promise<PresignedRequest>;
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(readonly key: string) {
    super(`object not found: ${key}`);
  }
}

export class ObjectTooLargeError extends Error {
  override readonly name = 'ObjectTooLargeError';
  constructor(readonly limit: number) {
    super(`object exceeds ${limit} bytes`);
  }
}

export class InvalidObjectKeyError extends Error {
  override readonly name = 'InvalidObjectKeyError';
  constructor(
    readonly key: string,
    reason?: string,
  ) {
    super(reason ? `invalid object key: ${key} (${reason})` : `invalid object key: ${key}`);
  }
}

/** A create-only write found an object already at the key; nothing was written. */
export class ObjectExistsError extends Error {
  override readonly name = 'ObjectExistsError';
  constructor(readonly key: string) {
    super(`object already exists: ${key}`);
  }
}

/** The body did not match the size or hash the caller bound it to; nothing was written. */
export class ObjectIntegrityError extends Error {
  override readonly name = 'ObjectIntegrityError';
  constructor(
    readonly key: string,
    readonly mismatch: 'size' | 'sha256',
  ) {
    super(
      `object ${key}: body ${mismatch === 'size' ? 'length' : 'sha-256'} does not match the expected value`,
    );
  }
}

export class RangeNotSatisfiableError extends Error {
  override readonly name = 'RangeNotSatisfiableError';
  constructor(
    readonly key: string,
    /** The object's size, for `Content-Range: bytes *\/size`. */
    readonly size: number,
  ) {
    super(`range not satisfiable for ${key} (${size} bytes)`);
  }
}
