import fs from 'node:fs';

/** Reads exactly `length` bytes at `position` into `target` at `offset`. */
export function readFully(
  fd: number,
  target: Buffer,
  offset: number,
  length: number,
  position: number,
): void {
  let read = 0;
  while (read < length) {
    const n = fs.readSync(fd, target, offset + read, length - read, position + read);
    if (n === 0) throw new Error(`unexpected end of file at ${position + read}`);
    read += n;
  }
}

export function writeFully(fd: number, source: Buffer, position: number): void {
  let written = 0;
  while (written < source.length) {
    written += fs.writeSync(fd, source, written, source.length - written, position + written);
  }
}

const RUN_BYTES = 1024 * 1024;

/**
 * Writes the newest version of each page (`pages`: page number → offset of its bytes in `source`)
 * into the database file `out`, page n at (n − 1) · pageSize — what a checkpoint does. Pages are
 * written in order, consecutive ones as one write.
 */
export function writePages(out: number, source: number, pages: Map<number, number>, pageSize: number): void {
  const numbers = [...pages.keys()].sort((a, b) => a - b);
  const perRun = Math.max(1, Math.floor(RUN_BYTES / pageSize));
  const run = Buffer.allocUnsafe(perRun * pageSize);
  let index = 0;
  while (index < numbers.length) {
    const first = numbers[index]!;
    let count = 0;
    while (index < numbers.length && numbers[index] === first + count && count < perRun) {
      readFully(source, run, count * pageSize, pageSize, pages.get(first + count)!);
      count++;
      index++;
    }
    writeFully(out, run.subarray(0, count * pageSize), (first - 1) * pageSize);
  }
}
