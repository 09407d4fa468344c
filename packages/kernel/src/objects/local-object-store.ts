import { createHash, randomUUID } from 'node:crypto';
import type { BigIntStats, Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertValidObjectKey,
  assertValidObjectPrefix,
  METADATA_SUFFIX,
  STAGING_DIR_NAME,
} from './object-key.js';
import {
  type ByteRange,
  type GetObjectResult,
  InvalidObjectKeyError,
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
  normalizeSha256,
  validatePresignGet,
  validatePresignPut,
} from './presign-options.js';
import {
  type SignatureCheck,
  type SignedObjectParams,
  signedQuery,
  signObjectParams,
  verifySignedQuery,
} from './signed-object-url.js';
import { trimChar } from '../text/trim-char.js';
import { releaseChunk } from './release-chunk.js';

export interface LocalObjectStoreOptions {
  rootDir: string;
  /** HMAC key for presigned URLs. */
  signingSecret: Buffer | string;
  /** Origin (and optional path) the service is reached at, e.g. `http://localhost:3001`. */
  publicBaseUrl: string;
  /** Where `objectRoutes` serves presigned URLs; default `/_objects`. */
  routePrefix?: string;
  /** Bound into every signature so URLs of one store are refused by another sharing the secret. */
  signingScope?: string;
  /** Milliseconds since the epoch; injectable for expiry tests. */
  now?: () => number;
}

export interface LocalObjectStore extends ObjectStore {
  readonly kind: 'local';
  readonly rootDir: string;
  readonly routePrefix: string;
  /** Removes staging files older than `olderThanMs` (leftovers of crashed writes); returns how many. */
  sweepStaging(olderThanMs: number): Promise<number>;
  /** Checks a presigned URL's query against its key and the request's method (used by `objectRoutes`). */
  verifySignedRequest(request: {
    method: string;
    key: string;
    query: Record<string, string | string[] | undefined>;
  }): SignatureCheck;
}

/**
 * The sidecar is trusted only while it describes the data file beside it: inode, size and
 * mtime are recorded at write time, and rename keeps all three. A crash (or a concurrent
 * writer) between the two renames leaves a sidecar that no longer matches, and the object
 * then reads as having unknown content type and hash instead of someone else's.
 */
interface Sidecar {
  version: 1;
  contentType: string | null;
  sha256: string;
  size: number;
  ino: string;
  mtimeNs: string;
}

const DEFAULT_ROUTE_PREFIX = '/_objects';
const RENAME_ATTEMPTS = 3;
/**
 * Reads of `get` bodies. Node's 64 KiB default made a 90 MiB download 1 440 reads, each a thread-pool
 * round trip, a promise and a new buffer: media's server spent 2–4× the CPU per GiB sent
 * (bench/media-transfer.ts; services/media/README.md). An open download holds about two of these
 * (one read ahead, one being sent).
 */
const READ_CHUNK_BYTES = 1024 * 1024;
/**
 * How much of a `put` body waits while a write is on its way to disk. A socket hands over at most
 * 64 KiB at a time; whatever arrived during one write goes to disk in the next, as one `writev`.
 */
const WRITE_BUFFER_BYTES = 1024 * 1024;

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Writes every byte of `buffers` at the file's position; `writev` may write less than asked. */
async function writeAll(handle: fs.FileHandle, buffers: Uint8Array[]): Promise<void> {
  let pending = buffers.filter((buffer) => buffer.byteLength > 0);
  while (pending.length > 0) {
    let { bytesWritten } = await handle.writev(pending);
    if (bytesWritten === 0) throw new Error('write made no progress');
    let first = 0;
    while (first < pending.length && bytesWritten >= pending[first]!.byteLength) {
      bytesWritten -= pending[first]!.byteLength;
      first++;
    }
    pending = pending.slice(first);
    if (bytesWritten > 0) pending[0] = pending[0]!.subarray(bytesWritten);
  }
}

async function removeQuietly(file: string): Promise<void> {
  await fs.rm(file, { force: true }).catch(() => undefined);
}

/** Makes renames and creations inside `dir` durable; some platforms cannot open a directory for this. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}

function normalizeRoutePrefix(prefix: string): string {
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(prefix)) throw new RangeError(`invalid routePrefix: ${prefix}`);
  const trimmed = trimChar(prefix, '/', 'end');
  if (trimmed === '') throw new RangeError('routePrefix must not be "/"');
  return trimmed;
}

function sidecarMatches(sidecar: Sidecar | undefined, stats: BigIntStats): sidecar is Sidecar {
  return (
    sidecar !== undefined &&
    sidecar.version === 1 &&
    sidecar.ino === String(stats.ino) &&
    sidecar.mtimeNs === String(stats.mtimeNs) &&
    sidecar.size === Number(stats.size)
  );
}

function resolveRange(key: string, range: ByteRange, size: number): ByteRange {
  const { start, end } = range;
  const endIsValid = Number.isSafeInteger(end) || end === Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(start) || start < 0 || !endIsValid || end < start) {
    throw new RangeNotSatisfiableError(key, size);
  }
  if (start >= size) throw new RangeNotSatisfiableError(key, size);
  return { start, end: Math.min(end, size - 1) };
}

export function createLocalObjectStore(options: LocalObjectStoreOptions): LocalObjectStore {
  const rootDir = path.resolve(options.rootDir);
  const rootPrefix = rootDir.endsWith(path.sep) ? rootDir : rootDir + path.sep;
  const stagingDir = path.join(rootDir, STAGING_DIR_NAME);
  const routePrefix = normalizeRoutePrefix(options.routePrefix ?? DEFAULT_ROUTE_PREFIX);
  const publicBaseUrl = trimChar(options.publicBaseUrl, '/', 'end');
  const scope = options.signingScope ?? '';
  const now = options.now ?? Date.now;
  if (Buffer.byteLength(options.signingSecret) === 0) throw new RangeError('signingSecret must not be empty');
  const secret = options.signingSecret;

  function pathFor(key: string): string {
    assertValidObjectKey(key);
    const file = path.resolve(rootDir, ...key.split('/'));
    // Defence in depth: the key rules already make escaping impossible.
    if (!file.startsWith(rootPrefix)) throw new InvalidObjectKeyError(key, 'outside the store');
    return file;
  }

  async function readSidecar(file: string): Promise<Sidecar | undefined> {
    try {
      return JSON.parse(await fs.readFile(file + METADATA_SUFFIX, 'utf8')) as Sidecar;
    } catch {
      return undefined;
    }
  }

  function headFrom(key: string, stats: BigIntStats, sidecar: Sidecar | undefined): ObjectHead {
    const trusted = sidecarMatches(sidecar, stats) ? sidecar : undefined;
    return {
      key,
      size: Number(stats.size),
      contentType: trusted?.contentType ?? undefined,
      sha256: trusted?.sha256,
      lastModified: stats.mtime,
    };
  }

  async function writeStagedBody(
    body: Readable | Buffer,
    maxBytes: number | undefined,
    tempFile: string,
    releaseChunks: boolean,
  ): Promise<{ size: number; sha256: string; stats: BigIntStats }> {
    const hash = createHash('sha256');
    let size = 0;
    let writing: Promise<void> | undefined;
    const handle = await fs.open(tempFile, 'wx', 0o600);
    /** Counts, checks and hashes the chunks in order, then writes them in one call. */
    const take = (chunks: Uint8Array[]): Promise<void> => {
      for (const chunk of chunks) {
        size += chunk.byteLength;
        if (maxBytes !== undefined && size > maxBytes)
          return Promise.reject(new ObjectTooLargeError(maxBytes));
        hash.update(chunk);
      }
      writing = writeAll(handle, chunks);
      if (!releaseChunks) return writing;
      return writing.then(() => {
        for (const chunk of chunks) releaseChunk(chunk);
      });
    };
    try {
      if (Buffer.isBuffer(body)) await take([body]);
      else {
        // Fed by `pipe`: every chunk is taken as it came. A `for await` over a byte stream would
        // copy whatever is buffered into one new buffer at each step.
        await pipeline(
          body,
          new Writable({
            highWaterMark: WRITE_BUFFER_BYTES,
            write(chunk: Buffer, _encoding, callback) {
              take([chunk]).then(() => callback(), callback);
            },
            writev(entries, callback) {
              take(entries.map((entry) => entry.chunk as Buffer)).then(() => callback(), callback);
            },
          }),
        );
      }
      // Once per file: durability is needed at the rename, not per write.
      await handle.sync();
      const stats = await handle.stat({ bigint: true });
      return { size, sha256: hash.digest('hex'), stats };
    } finally {
      // Never close the descriptor under a write still in flight.
      await writing?.catch(() => undefined);
      await handle.close();
    }
  }

  async function writeStagedFile(tempFile: string, contents: string): Promise<void> {
    const handle = await fs.open(tempFile, 'wx', 0o600);
    try {
      await handle.writeFile(contents, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /**
   * `delete` prunes empty directories, so a parent may vanish between mkdir and rename: retry.
   * Returns the topmost directory this call created, if any. `createOnly` links instead of
   * renaming: link(2) never replaces an existing name, so of two writers only one can win.
   */
  async function renameIntoPlace(
    key: string,
    from: string,
    to: string,
    createOnly = false,
  ): Promise<string | undefined> {
    let topCreated: string | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        const created = await fs.mkdir(path.dirname(to), { recursive: true });
        if (created !== undefined && (topCreated === undefined || created.length < topCreated.length)) {
          topCreated = created;
        }
        if (createOnly) await fs.link(from, to);
        else await fs.rename(from, to);
        return topCreated;
      } catch (error) {
        const code = errorCode(error);
        if (createOnly && code === 'EEXIST') {
          const existing = await fs.lstat(to).catch(() => undefined);
          if (existing?.isFile()) throw new ObjectExistsError(key);
        }
        if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR') {
          throw new InvalidObjectKeyError(key, 'conflicts with an existing object or prefix');
        }
        if (code !== 'ENOENT' || attempt >= RENAME_ATTEMPTS) throw error;
      }
    }
  }

  /** The file's directory, plus every new directory's parent: each holds an entry that must survive a crash. */
  async function syncDirectoriesDown(topCreated: string | undefined, fileDir: string): Promise<void> {
    await syncDirectory(fileDir);
    if (topCreated === undefined) return;
    const stopAt = path.dirname(topCreated);
    let dir = fileDir;
    while (dir !== stopAt && dir.startsWith(rootPrefix)) {
      dir = path.dirname(dir);
      await syncDirectory(dir);
    }
  }

  async function pruneEmptyParents(file: string): Promise<void> {
    let dir = path.dirname(file);
    while (dir !== rootDir && dir.startsWith(rootPrefix)) {
      try {
        await fs.rmdir(dir);
      } catch {
        return; // not empty, already gone, or busy: leave it
      }
      dir = path.dirname(dir);
    }
  }

  const store: LocalObjectStore = {
    kind: 'local',
    rootDir,
    routePrefix,

    async put(key: string, body: Readable | Buffer, putOptions: PutOptions = {}): Promise<StoredObject> {
      const file = pathFor(key);
      const { contentType, maxBytes, expectedSize } = putOptions;
      if (contentType !== undefined) assertContentType(contentType);
      if (maxBytes !== undefined) assertByteCount(maxBytes, 'maxBytes');
      if (expectedSize !== undefined) assertByteCount(expectedSize, 'expectedSize');
      const expectedSha256 =
        putOptions.expectedSha256 === undefined ? undefined : normalizeSha256(putOptions.expectedSha256);
      // Every time, not once: the directory may have been swept away since the last put.
      await fs.mkdir(stagingDir, { recursive: true });
      const stem = path.join(stagingDir, randomUUID());
      const tempData = `${stem}.data`;
      const tempMeta = `${stem}.meta`;
      try {
        // A caller's single buffer is never released: it may well use it again.
        const releaseChunks = putOptions.releaseChunks === true && !Buffer.isBuffer(body);
        const written = await writeStagedBody(body, maxBytes, tempData, releaseChunks);
        if (expectedSize !== undefined && written.size !== expectedSize) {
          throw new ObjectIntegrityError(key, 'size');
        }
        if (expectedSha256 !== undefined && written.sha256 !== expectedSha256) {
          throw new ObjectIntegrityError(key, 'sha256');
        }
        const sidecar: Sidecar = {
          version: 1,
          contentType: contentType ?? null,
          sha256: written.sha256,
          size: written.size,
          ino: String(written.stats.ino),
          mtimeNs: String(written.stats.mtimeNs),
        };
        await writeStagedFile(tempMeta, JSON.stringify(sidecar));
        const createdDir = await renameIntoPlace(key, tempData, file, putOptions.createOnly === true);
        await renameIntoPlace(key, tempMeta, file + METADATA_SUFFIX);
        await syncDirectoriesDown(createdDir, path.dirname(file));
        return { key, size: written.size, sha256: written.sha256, contentType };
      } finally {
        await Promise.all([removeQuietly(tempData), removeQuietly(tempMeta)]);
      }
    },

    async get(key: string, range?: ByteRange): Promise<GetObjectResult> {
      const file = pathFor(key);
      let handle: fs.FileHandle;
      try {
        handle = await fs.open(file, 'r');
      } catch (error) {
        if (isMissing(error)) throw new ObjectNotFoundError(key);
        throw error;
      }
      try {
        // Stat the open descriptor: the bytes served are this file's even if a put replaces it now.
        const stats = await handle.stat({ bigint: true });
        if (!stats.isFile()) throw new ObjectNotFoundError(key);
        const head = headFrom(key, stats, await readSidecar(file));
        if (range === undefined)
          return {
            body: handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES }),
            head,
            chunksReleasable: true,
          };
        const resolved = resolveRange(key, range, head.size);
        return {
          body: handle.createReadStream({ ...resolved, highWaterMark: READ_CHUNK_BYTES }),
          head,
          range: resolved,
          chunksReleasable: true,
        };
      } catch (error) {
        await handle.close();
        throw error;
      }
    },

    async head(key: string): Promise<ObjectHead | undefined> {
      const file = pathFor(key);
      let stats: BigIntStats;
      try {
        stats = await fs.stat(file, { bigint: true });
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
      if (!stats.isFile()) return undefined;
      return headFrom(key, stats, await readSidecar(file));
    },

    async delete(key: string): Promise<void> {
      const file = pathFor(key);
      try {
        const stats = await fs.lstat(file);
        if (!stats.isFile()) return;
        await fs.unlink(file);
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
      await fs.rm(file + METADATA_SUFFIX, { force: true });
      await pruneEmptyParents(file);
    },

    async deletePrefix(prefix: string): Promise<number> {
      assertValidObjectPrefix(prefix);
      const dir = pathFor(prefix.slice(0, -1));
      let removed = 0;
      const walk = async (current: string): Promise<void> => {
        let entries: Dirent[];
        try {
          entries = await fs.readdir(current, { withFileTypes: true });
        } catch (error) {
          if (isMissing(error)) return;
          throw error;
        }
        for (const entry of entries) {
          const child = path.join(current, entry.name);
          if (entry.isDirectory()) await walk(child);
          else {
            if (!entry.name.endsWith(METADATA_SUFFIX)) removed++;
            await fs.rm(child, { force: true });
          }
        }
        // A concurrent write may have added an entry: leave the directory then, like `delete` does.
        await fs.rmdir(current).catch(() => undefined);
      };
      await walk(dir);
      await pruneEmptyParents(dir);
      return removed;
    },

    async sweepStaging(olderThanMs: number): Promise<number> {
      let names: string[];
      try {
        names = await fs.readdir(stagingDir);
      } catch (error) {
        if (isMissing(error)) return 0;
        throw error;
      }
      const cutoff = now() - olderThanMs;
      let removed = 0;
      for (const name of names) {
        const file = path.join(stagingDir, name);
        try {
          const stats = await fs.lstat(file);
          if (stats.mtimeMs > cutoff) continue;
          await fs.rm(file, { recursive: true, force: true });
          removed++;
        } catch (error) {
          if (!isMissing(error)) throw error;
        }
      }
      return removed;
    },

    async presignPut(key: string, presignOptions: PresignPutOptions): Promise<PresignedRequest> {
      assertValidObjectKey(key);
      const valid = validatePresignPut(presignOptions);
      const params: SignedObjectParams = {
        method: 'PUT',
        key,
        expires: Math.floor(now() / 1000 + valid.expiresInSeconds),
        contentType: valid.contentType,
        contentLength: valid.contentLength,
        sha256: valid.sha256,
        ...(valid.createOnly ? { createOnly: true } : {}),
      };
      return {
        url: urlFor(params),
        method: 'PUT',
        headers: { 'content-type': valid.contentType, 'content-length': String(valid.contentLength) },
        expiresAt: new Date(params.expires * 1000),
      };
    },

    async presignGet(key: string, presignOptions: PresignGetOptions): Promise<PresignedRequest> {
      assertValidObjectKey(key);
      const valid = validatePresignGet(presignOptions);
      const params: SignedObjectParams = {
        method: 'GET',
        key,
        expires: Math.floor(now() / 1000 + valid.expiresInSeconds),
        contentType: valid.contentType,
        downloadName: valid.downloadName,
        sha256: valid.sha256,
      };
      return { url: urlFor(params), method: 'GET', headers: {}, expiresAt: new Date(params.expires * 1000) };
    },

    verifySignedRequest(request) {
      return verifySignedQuery({
        secret,
        scope,
        requestMethod: request.method,
        key: request.key,
        query: request.query,
        nowMs: now(),
      });
    },
  };

  function urlFor(params: SignedObjectParams): string {
    const signature = signObjectParams(secret, scope, params);
    // Key characters are all URL-safe, so the key goes into the path as is.
    return `${publicBaseUrl}${routePrefix}/${params.key}?${signedQuery(params, signature)}`;
  }

  return store;
}
