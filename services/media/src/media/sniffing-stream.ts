import { Transform, type TransformCallback } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';

/** Enough for every signature `file-type` knows. */
const SNIFF_BYTES = 4100;
/**
 * The upload parser hands over chunks of up to 64 KiB; with the 16 KiB default every chunk filled
 * this stream and paused the parser until the store had read it.
 */
const BUFFER_BYTES = 1024 * 1024;

export interface SniffResult {
  mime: string;
  ext: string;
}

/**
 * Passes bytes through unchanged while it keeps the first few KiB; once it has them (or the stream
 * ends) it sniffs the magic bytes and hands the result to `decide`. If `decide` throws, the stream
 * fails, so the store aborts the write and nothing is committed.
 */
export class SniffingStream<T> extends Transform {
  #head: Buffer[] = [];
  #headLength = 0;
  #decided = false;
  decision: T | undefined;

  constructor(private readonly decide: (sniffed: SniffResult | undefined) => T) {
    super({ highWaterMark: BUFFER_BYTES });
  }

  async #decideNow(): Promise<void> {
    this.#decided = true;
    const head = Buffer.concat(this.#head, this.#headLength);
    this.#head = [];
    const sniffed = await fileTypeFromBuffer(head);
    this.decision = this.decide(sniffed ? { mime: sniffed.mime, ext: sniffed.ext } : undefined);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#decided) {
      callback(null, chunk);
      return;
    }
    this.#head.push(chunk);
    this.#headLength += chunk.byteLength;
    if (this.#headLength < SNIFF_BYTES) {
      callback(null, chunk);
      return;
    }
    this.#decideNow().then(
      () => callback(null, chunk),
      (error: unknown) => callback(error as Error),
    );
  }

  override _flush(callback: TransformCallback): void {
    if (this.#decided) {
      callback();
      return;
    }
    this.#decideNow().then(
      () => callback(),
      (error: unknown) => callback(error as Error),
    );
  }
}
