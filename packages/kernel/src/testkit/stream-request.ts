import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders } from 'node:http';

export interface StreamedRequest {
  /** Absolute URL of a listening server (`app.listen({ port: 0 })`). */
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** The body, produced lazily so the test itself never holds it whole. */
  body: Iterable<Buffer> | AsyncIterable<Buffer>;
  /** Sent as `Content-Length`; omitted → chunked transfer encoding. */
  contentLength?: number;
}

export interface StreamedResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Body bytes the client had written when the response arrived. */
  bytesSentBeforeResponse: number;
  /** Whether the client had written its whole body before the response arrived. */
  finishedSending: boolean;
}

/**
 * Sends a body in chunks over real HTTP, honouring backpressure, and stops writing as soon as
 * the response arrives. `inject` buffers the whole payload, so it cannot show whether a server
 * answered before reading a body; this can.
 */
export function streamRequest(request: StreamedRequest): Promise<StreamedResponse> {
  const url = new URL(request.url);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let finishedSending = false;
    let answered = false;
    const headers: Record<string, string> = { ...request.headers };
    if (request.contentLength !== undefined) headers['content-length'] = String(request.contentLength);
    const client = http.request({
      host: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      method: request.method ?? 'POST',
      headers,
    });
    client.on('response', (response) => {
      answered = true;
      const bytesSentBeforeResponse = sent;
      const sentWhole = finishedSending;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        client.destroy();
        resolve({
          statusCode: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          bytesSentBeforeResponse,
          finishedSending: sentWhole,
        });
      });
    });
    // A server that answers early may close the connection under a client still writing
    // (EPIPE / ECONNRESET): that is the behaviour under test, not a failure, once answered.
    client.on('error', (error) => {
      if (!answered) reject(error);
    });

    const pump = async () => {
      const iterator =
        Symbol.asyncIterator in request.body
          ? request.body[Symbol.asyncIterator]()
          : (request.body as Iterable<Buffer>)[Symbol.iterator]();
      while (!answered && !client.destroyed) {
        const next = await iterator.next();
        if (next.done) break;
        sent += next.value.length;
        if (!client.write(next.value)) {
          await new Promise<void>((drained) => {
            const done = () => {
              client.off('drain', done);
              client.off('response', done);
              client.off('close', done);
              drained();
            };
            client.once('drain', done);
            client.once('response', done);
            client.once('close', done);
          });
        }
      }
      if (!answered && !client.destroyed) {
        finishedSending = true;
        client.end();
      }
    };
    pump().catch(reject);
  });
}

/**
 * `{"<field>":"AAAA…"}` of exactly `totalBytes`, in `chunkBytes` pieces: a syntactically
 * plausible JSON body of any size, generated as it is sent.
 */
export function* paddedJsonBody(totalBytes: number, field = 'padding', chunkBytes = 64 * 1024) {
  const head = Buffer.from(`{"${field}":"`);
  const tail = Buffer.from('"}');
  if (totalBytes < head.length + tail.length) throw new Error('totalBytes is too small for the JSON frame');
  const filler = Buffer.alloc(chunkBytes, 'A');
  yield head;
  let remaining = totalBytes - head.length - tail.length;
  while (remaining > 0) {
    const size = Math.min(remaining, chunkBytes);
    yield size === chunkBytes ? filler : filler.subarray(0, size);
    remaining -= size;
  }
  yield tail;
}

/**
 * `head` (a multipart part's header, say), then filler up to exactly `totalBytes`, in `chunkBytes`
 * pieces: a body of any size, generated as it is sent.
 */
export function* paddedBody(totalBytes: number, head: Buffer = Buffer.alloc(0), chunkBytes = 64 * 1024) {
  if (totalBytes < head.length) throw new Error('totalBytes is smaller than the head');
  const filler = Buffer.alloc(chunkBytes, 'a');
  if (head.length > 0) yield head;
  let remaining = totalBytes - head.length;
  while (remaining > 0) {
    const size = Math.min(remaining, chunkBytes);
    yield size === chunkBytes ? filler : filler.subarray(0, size);
    remaining -= size;
  }
}

/**
 * A `size`-byte JSON body (`paddedJsonBody`, its one string in `field`) streamed to `url` as
 * `application/json`, with its Content-Length unless `chunked`.
 */
export function streamJsonBody(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    size: number;
    field?: string;
    chunked?: boolean;
  },
): Promise<StreamedResponse> {
  return streamRequest({
    url,
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: paddedJsonBody(options.size, options.field),
    ...(options.chunked ? {} : { contentLength: options.size }),
  });
}

/**
 * The service answered `status` while the client was still sending: it never read the body (a
 * server that reads first answers only once the body is in). Returns the answer's JSON.
 */
export function assertAnsweredUnread<Body = Record<string, unknown>>(
  response: StreamedResponse,
  status: number,
): Body {
  assert.equal(response.statusCode, status, response.body);
  assert.equal(response.finishedSending, false, 'the whole body was sent before the answer');
  return JSON.parse(response.body) as Body;
}

/** Far more than any route accepts, and more than socket buffers hold: a server reading it would show. */
export const LARGE_BODY_BYTES = 32 * 1024 * 1024;

/** Streams a JSON body of `size` bytes (default `LARGE_BODY_BYTES`) to a path of the listening app. */
export type JsonBodySender = (
  method: string,
  path: string,
  headers: Record<string, string>,
  size?: number,
) => Promise<StreamedResponse>;

/**
 * Makes `app` listen on a loopback port and returns a `JsonBodySender` to it, its one string in
 * `field`: how the auth-before-body tests send bodies a server must refuse unread.
 */
export async function listenForJsonBodies(
  app: { listen(options: { port: number; host: string }): Promise<string> },
  field: string,
): Promise<JsonBodySender> {
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return (method, path, headers, size = LARGE_BODY_BYTES) =>
    streamJsonBody(`${base}${path}`, { method, headers, size, field });
}
