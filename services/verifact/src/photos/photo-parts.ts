import { createHash } from 'node:crypto';

/**
 * Bytes held in the parts they arrived in (a request's chunks, a JPEG's APP11 segments), read in
 * place: a photo is hashed, sniffed, bounded and handed to its reader without being concatenated
 * (a copy of up to 25 MB, and the collector's work after it, per photo).
 */
export class ByteParts {
  readonly parts: readonly Buffer[];
  readonly length: number;
  private readonly starts: number[] = [];
  private joined: Buffer | undefined;

  constructor(parts: readonly Buffer[]) {
    this.parts = parts.filter((part) => part.length > 0);
    let at = 0;
    for (const part of this.parts) {
      this.starts.push(at);
      at += part.length;
    }
    this.length = at;
  }

  private partAt(at: number): number {
    let low = 0;
    let high = this.parts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] as number) <= at) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** The byte at `at`, 0 past the end. */
  byte(at: number): number {
    if (at < 0 || at >= this.length) return 0;
    const index = this.partAt(at);
    return (this.parts[index] as Buffer)[at - (this.starts[index] as number)] ?? 0;
  }

  uint16(at: number): number {
    return (this.byte(at) << 8) | this.byte(at + 1);
  }

  uint32(at: number): number {
    return (
      ((this.byte(at) << 24) | (this.byte(at + 1) << 16) | (this.byte(at + 2) << 8) | this.byte(at + 3)) >>> 0
    );
  }

  text(from: number, to: number, encoding: BufferEncoding = 'utf8'): string {
    return Buffer.concat(this.slice(from, to)).toString(encoding);
  }

  /** Whether `bytes` are found at `at`. */
  matches(at: number, bytes: Uint8Array): boolean {
    for (let index = 0; index < bytes.length; index += 1)
      if (this.byte(at + index) !== bytes[index]) return false;
    return at + bytes.length <= this.length;
  }

  /** First index of `value` at or after `from` (and before `to`), or -1. */
  indexOf(value: number, from: number, to = this.length): number {
    for (let at = Math.max(from, 0); at < Math.min(to, this.length); at += 1)
      if (this.byte(at) === value) return at;
    return -1;
  }

  /** `[from, to)` as views of the parts (no copy). */
  slice(from: number, to: number): Buffer[] {
    const end = Math.min(to, this.length);
    const views: Buffer[] = [];
    if (from >= end) return views;
    for (let index = this.partAt(from); index < this.parts.length; index += 1) {
      const start = this.starts[index] as number;
      if (start >= end) break;
      const part = this.parts[index] as Buffer;
      views.push(part.subarray(Math.max(from - start, 0), Math.min(end - start, part.length)));
    }
    return views;
  }

  /** The first `count` bytes, contiguous (copied only when they span parts). */
  head(count: number): Buffer {
    const first = this.parts[0];
    if (!first) return Buffer.alloc(0);
    if (first.length >= count || this.parts.length === 1) return first.subarray(0, count);
    return Buffer.concat(this.slice(0, count));
  }

  /** All bytes, contiguous: for the few users that need them so (concatenated once). */
  whole(): Buffer {
    if (this.parts.length === 1) return this.parts[0] as Buffer;
    this.joined ??= Buffer.concat(this.parts, this.length);
    return this.joined;
  }

  sha256Hex(): string {
    const hash = createHash('sha256');
    for (const part of this.parts) hash.update(part);
    return hash.digest('hex');
  }
}
