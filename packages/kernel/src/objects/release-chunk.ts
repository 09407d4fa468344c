import type { ServerResponse } from 'node:http';

/**
 * Why release chunks by hand: on Node 20 (V8 11.3) every byte a transfer moves is a fresh buffer,
 * and V8 counts the buffers' memory allocated since the last full collection against the old
 * generation's limit until a collection has swept them. A young collection runs per 32 MB of young
 * buffers; when the limit after a full collection left less room than that (V8 leaves ≈ 9–24 MB
 * above a 40 MB heap once the process idles), each such young collection starts another full one:
 * one full collection per ≈ 30 MB moved, doubling the CPU per GiB (services/media/README.md,
 * "Transfer performance"). A buffer whose memory is released as soon as its bytes are on disk or
 * on the socket is uncounted at once, so the collector never sees that external memory pile up.
 *
 * Detaching goes through a closed port: `postMessage` still transfers (and so detaches) what its
 * transfer list names, then drops the message, and the memory is freed with it.
 */
const sink = new MessageChannel().port1;
sink.close();

/**
 * Frees the memory behind `chunk` now, leaving it (and any other view of the same memory) empty.
 * Only for a chunk the caller owns outright: a chunk that does not span its whole `ArrayBuffer`
 * (a slice of a pool or of a larger read) is left alone, as is one that cannot be transferred.
 */
export function releaseChunk(chunk: Uint8Array): void {
  const { buffer } = chunk;
  if (!(buffer instanceof ArrayBuffer)) return;
  if (chunk.byteOffset !== 0 || chunk.byteLength !== buffer.byteLength || buffer.byteLength === 0) return;
  try {
    sink.postMessage(null, [buffer]);
  } catch {
    // Untransferable (Node's buffer pool, a WebAssembly memory): the collector frees it as before.
  }
}

type WriteCallback = (error?: Error | null) => void;

/**
 * Releases each buffer written to `response` once the socket is done with it (the write's
 * callback runs after the bytes reached the kernel, or after the write was abandoned). For a body
 * whose chunks belong to this response alone, e.g. an object store's read stream.
 */
export function releaseChunksOnceWritten(response: ServerResponse): void {
  const write = response.write;
  response.write = function releasingWrite(
    this: ServerResponse,
    chunk: unknown,
    encoding?: BufferEncoding | WriteCallback,
    callback?: WriteCallback,
  ): boolean {
    const done = typeof encoding === 'function' ? encoding : callback;
    const charset = typeof encoding === 'function' ? undefined : encoding;
    if (!(chunk instanceof Uint8Array)) return write.call(this, chunk, charset as BufferEncoding, done);
    return write.call(this, chunk, charset as BufferEncoding, (error?: Error | null) => {
      releaseChunk(chunk);
      done?.(error);
    });
  } as ServerResponse['write'];
}
