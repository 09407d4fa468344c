import { Transform, type TransformCallback } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';

/** Enough for every signature `file-type` knows. */
const SNIFF_BYTES = 4100;
/**
 * Socket-sized pieces (often 16-64 KiB) are gathered into writes of this size: the store then makes
 * far fewer write calls and hash updates, for a bounded 1 MiB of extra memory per upload.
 */
const WRITE_BYTES = 1024 * 1024;

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
  #pending: Buffer[] = [];
  #pendingLength = 0;
  decision: T | undefined;

  constructor(private readonly decide: (sniffed: SniffResult | undefined) => T) {
    super();
  }

  async #decideNow(): Promise<void> {
    this.#decided = true;
    const head = Buffer.concat(this.#head, this.#headLength);
    this.#head = [];
    const sniffed = await fileTypeFromBuffer(head);
    this.decision = this.decide(sniffed ? { mime: sniffed.mime, ext: sniffed.ext } : undefined);
  }

  #gather(chunk: Buffer): void {
    this.#pending.push(chunk);
    this.#pendingLength += chunk.byteLength;
    if (this.#pendingLength >= WRITE_BYTES) this.#release();
  }

  #release(): void {
    if (this.#pendingLength === 0) return;
    const out =
      this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingLength);
    this.#pending = [];
    this.#pendingLength = 0;
    this.push(out);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#decided) {
      this.#gather(chunk);
      callback();
      return;
    }
    this.#head.push(chunk);
    this.#headLength += chunk.byteLength;
    if (this.#headLength < SNIFF_BYTES) {
      this.#gather(chunk);
      callback();
      return;
    }
    this.#decideNow().then(
      () => {
        this.#gather(chunk);
        callback();
      },
      (error: unknown) => callback(error as Error),
    );
  }

  override _flush(callback: TransformCallback): void {
    if (this.#decided) {
      this.#release();
      callback();
      return;
    }
    this.#decideNow().then(
      () => {
        this.#release();
        callback();
      },
      (error: unknown) => callback(error as Error),
    );
  }
}
