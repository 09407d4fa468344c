import type { Readable } from 'node:stream';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { LocalObjectStore } from './local-object-store.js';
import {
  type ByteRange,
  InvalidObjectKeyError,
  ObjectExistsError,
  type ObjectHead,
  ObjectIntegrityError,
  ObjectNotFoundError,
  ObjectTooLargeError,
  RangeNotSatisfiableError,
} from './object-store.js';
import { attachmentDisposition } from './presign-options.js';
import type { SignedObjectParams } from './signed-object-url.js';
import { userContentHeaders } from '../http/security-headers.js';

export interface ObjectRoutesOptions {
  store: LocalObjectStore;
}

class ObjectRouteError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const SIGNATURE_FAILURES = {
  missing_signature: 'The URL carries no signature',
  invalid_signature: 'The URL signature does not match its parameters',
  method_mismatch: 'The URL was signed for another HTTP method',
  expired: 'The URL has expired',
} as const;

const verifiedParams = new WeakMap<FastifyRequest, SignedObjectParams>();

function keyOf(request: FastifyRequest): string {
  return (request.params as { '*'?: string })['*'] ?? '';
}

function verify(store: LocalObjectStore, request: FastifyRequest): SignedObjectParams {
  const check = store.verifySignedRequest({
    method: request.method,
    key: keyOf(request),
    query: request.query as Record<string, string | string[] | undefined>,
  });
  if (!check.ok) throw new ObjectRouteError(403, check.failure, SIGNATURE_FAILURES[check.failure]);
  return check.params;
}

/** A single `bytes=` range; anything else (several ranges, bad syntax) is ignored, as RFC 9110 allows. */
function parseRangeHeader(header: string | undefined): { start?: number; end?: number } | undefined {
  const match = header === undefined ? null : /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  return {
    start: match[1] === '' ? undefined : Number(match[1]),
    end: match[2] === '' ? undefined : Number(match[2]),
  };
}

function toByteRange(
  store: LocalObjectStore,
  key: string,
  header: string | undefined,
): Promise<ByteRange | undefined> {
  const requested = parseRangeHeader(header);
  if (!requested) return Promise.resolve(undefined);
  if (requested.start !== undefined) {
    return Promise.resolve({ start: requested.start, end: requested.end ?? Number.POSITIVE_INFINITY });
  }
  // Suffix range (`bytes=-N`, the last N bytes) needs the size first.
  const suffix = requested.end ?? 0;
  return store.head(key).then((head) => {
    if (!head) throw new ObjectNotFoundError(key);
    if (suffix === 0 || head.size === 0) throw new RangeNotSatisfiableError(key, head.size);
    return { start: Math.max(0, head.size - suffix), end: head.size - 1 };
  });
}

/** A GET URL bound to a sha-256 serves only an object whose recorded hash is that one. */
function assertBoundContent(head: ObjectHead, params: SignedObjectParams): void {
  if (params.sha256 !== undefined && head.sha256 !== params.sha256) {
    throw new ObjectRouteError(
      412,
      'content_changed',
      'The object no longer holds the content this URL was issued for',
    );
  }
}

function setObjectHeaders(reply: FastifyReply, head: ObjectHead, params: SignedObjectParams): void {
  reply.header('content-type', params.contentType ?? head.contentType ?? 'application/octet-stream');
  reply.header('accept-ranges', 'bytes');
  reply.header('last-modified', head.lastModified.toUTCString());
  reply.header('cache-control', 'private');
  userContentHeaders(reply);
  if (head.sha256) reply.header('etag', `"${head.sha256}"`);
  if (params.downloadName !== undefined)
    reply.header('content-disposition', attachmentDisposition(params.downloadName));
}

function toRouteError(error: unknown): ObjectRouteError | undefined {
  if (error instanceof ObjectRouteError) return error;
  if (error instanceof ObjectNotFoundError)
    return new ObjectRouteError(404, 'not_found', 'No object at this URL');
  if (error instanceof ObjectTooLargeError) {
    return new ObjectRouteError(400, 'content_length_mismatch', 'The body is longer than the signed length');
  }
  if (error instanceof ObjectIntegrityError) {
    return error.mismatch === 'size'
      ? new ObjectRouteError(400, 'content_length_mismatch', 'The body length differs from the signed length')
      : new ObjectRouteError(400, 'sha256_mismatch', 'The body does not hash to the signed sha-256');
  }
  if (error instanceof RangeNotSatisfiableError) {
    return new ObjectRouteError(416, 'range_not_satisfiable', 'The requested range is outside the object', {
      'content-range': `bytes */${error.size}`,
    });
  }
  if (error instanceof ObjectExistsError) {
    return new ObjectRouteError(
      412,
      'object_exists',
      'An object already exists at this key; this upload URL only creates',
    );
  }
  if (error instanceof InvalidObjectKeyError) return new ObjectRouteError(400, 'invalid_key', error.message);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
    // The client went away mid-body; nobody is left to read this answer, and it is no server fault.
    return new ObjectRouteError(400, 'upload_aborted', 'The upload ended before its signed length');
  }
  const statusCode = (error as FastifyError | undefined)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new ObjectRouteError(statusCode, 'bad_request', (error as Error).message);
  }
  return undefined;
}

/**
 * Serves a `LocalObjectStore`'s presigned URLs: `PUT|GET|HEAD <store.routePrefix>/<key>`.
 * Register it with no fastify `prefix` and not through fastify-plugin: its raw-stream body
 * parser must stay scoped to these routes.
 *
 * Errors are always JSON `{ "error": code, "message": text }`, whatever envelope the host
 * service renders, because the caller is whoever holds the URL, not the service's API client:
 *   403 missing_signature | invalid_signature | method_mismatch | expired
 *   400 content_type_mismatch | content_length_mismatch | sha256_mismatch | upload_aborted | invalid_key
 *   404 not_found · 416 range_not_satisfiable · 500 internal
 *   412 object_exists (a create-only PUT URL, once anything is at its key; replays included)
 *   412 content_changed (a GET URL bound to a sha-256 the object no longer has)
 * An expired URL answers 403 (as S3 does) rather than 410: the object may exist, only the URL is stale.
 */
export const objectRoutes: FastifyPluginAsync<ObjectRoutesOptions> = async (app, { store }) => {
  const route = `${store.routePrefix}/*`;

  // The body reaches `store.put` as the raw request stream, whatever its type; the signed
  // length (checked before parsing, enforced while streaming) is the body limit.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.setErrorHandler((error, request, reply) => {
    const routeError = toRouteError(error);
    if (!routeError) {
      request.log.error({ err: error }, 'object route failed');
      return reply.code(500).send({ error: 'internal', message: 'Internal server error' });
    }
    return reply
      .code(routeError.statusCode)
      .headers(routeError.headers)
      .send({ error: routeError.code, message: routeError.message });
  });

  app.put(
    route,
    {
      schema: { hide: true },
      // Before fastify looks at the body or its type: refuse early, and with our own codes.
      onRequest: async (request) => {
        const params = verify(store, request);
        if (request.headers['content-type'] !== params.contentType) {
          throw new ObjectRouteError(
            400,
            'content_type_mismatch',
            'Content-Type differs from the signed one',
          );
        }
        const contentLength = request.headers['content-length'];
        if (
          request.headers['transfer-encoding'] !== undefined ||
          contentLength === undefined ||
          !/^\d{1,15}$/.test(contentLength) ||
          Number(contentLength) !== params.contentLength
        ) {
          throw new ObjectRouteError(
            400,
            'content_length_mismatch',
            'Content-Length differs from the signed length',
          );
        }
        // Refused before the body is read; the write itself is create-only too (two racing PUTs).
        if (params.createOnly && (await store.head(params.key))) throw new ObjectExistsError(params.key);
        verifiedParams.set(request, params);
      },
    },
    async (request, reply) => {
      const params = verifiedParams.get(request);
      if (!params || params.contentLength === undefined)
        throw new Error('upload reached its handler unverified');
      const body = (request.body as Readable | undefined) ?? Buffer.alloc(0);
      const stored = await store.put(params.key, body, {
        contentType: params.contentType,
        maxBytes: params.contentLength,
        expectedSize: params.contentLength,
        expectedSha256: params.sha256,
        createOnly: params.createOnly === true,
      });
      reply.header('etag', `"${stored.sha256}"`);
      return { key: stored.key, size: stored.size, sha256: stored.sha256, contentType: stored.contentType };
    },
  );

  app.get(route, { schema: { hide: true }, exposeHeadRoute: false }, async (request, reply) => {
    const params = verify(store, request);
    const range = await toByteRange(store, params.key, request.headers.range);
    const object = await store.get(params.key, range);
    try {
      assertBoundContent(object.head, params);
    } catch (error) {
      object.body.destroy();
      throw error;
    }
    setObjectHeaders(reply, object.head, params);
    if (object.range) {
      const { start, end } = object.range;
      reply.code(206);
      reply.header('content-range', `bytes ${start}-${end}/${object.head.size}`);
      reply.header('content-length', String(end - start + 1));
    } else {
      reply.header('content-length', String(object.head.size));
    }
    return reply.send(object.body);
  });

  app.head(route, { schema: { hide: true } }, async (request, reply) => {
    const params = verify(store, request);
    const head = await store.head(params.key);
    if (!head) throw new ObjectNotFoundError(params.key);
    assertBoundContent(head, params);
    setObjectHeaders(reply, head, params);
    reply.header('content-length', String(head.size));
    return reply.send();
  });
};
