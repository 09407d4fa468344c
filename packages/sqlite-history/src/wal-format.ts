// SQLite's write-ahead log format (https://www.sqlite.org/fileformat2.html#walformat): a 32-byte
// header, then frames of a 24-byte header and one page. Frames are trusted exactly as SQLite's own
// recovery trusts them: salts equal to the header's and a checksum chained from the previous frame.
import fs from 'node:fs';

export const WAL_HEADER_BYTES = 32;
export const WAL_FRAME_HEADER_BYTES = 24;
/** Checksums are little-endian words with this magic, big-endian with `| 1`. */
const WAL_MAGIC_LITTLE_ENDIAN = 0x377f0682;
const WAL_MAGIC_BIG_ENDIAN = 0x377f0683;
const WAL_FORMAT_VERSION = 3007000;

export interface WalHeader {
  magic: number;
  bigEndianChecksum: boolean;
  pageSize: number;
  checkpointSequence: number;
  salt1: number;
  salt2: number;
  /** The header's own checksum: the seed of the first frame's. */
  checksum1: number;
  checksum2: number;
}

export interface WalChecksum {
  s1: number;
  s2: number;
}

/** SQLite's checksum: Fibonacci-weighted sums of 32-bit words, continued from `seed`. */
export function walChecksum(
  data: Buffer,
  start: number,
  end: number,
  bigEndian: boolean,
  seed: WalChecksum,
): WalChecksum {
  let s1 = seed.s1;
  let s2 = seed.s2;
  if (bigEndian) {
    for (let i = start; i < end; i += 8) {
      s1 = (s1 + data.readUInt32BE(i) + s2) >>> 0;
      s2 = (s2 + data.readUInt32BE(i + 4) + s1) >>> 0;
    }
  } else {
    for (let i = start; i < end; i += 8) {
      s1 = (s1 + data.readUInt32LE(i) + s2) >>> 0;
      s2 = (s2 + data.readUInt32LE(i + 4) + s1) >>> 0;
    }
  }
  return { s1, s2 };
}

function isValidPageSize(size: number): boolean {
  return size >= 512 && size <= 65536 && (size & (size - 1)) === 0;
}

/** The header if `bytes` starts with a valid one (magic, version, page size, checksum), else undefined. */
export function parseWalHeader(bytes: Buffer): WalHeader | undefined {
  if (bytes.length < WAL_HEADER_BYTES) return undefined;
  const magic = bytes.readUInt32BE(0);
  if (magic !== WAL_MAGIC_LITTLE_ENDIAN && magic !== WAL_MAGIC_BIG_ENDIAN) return undefined;
  if (bytes.readUInt32BE(4) !== WAL_FORMAT_VERSION) return undefined;
  const rawPageSize = bytes.readUInt32BE(8);
  // 65536 is stored as 1 (the field is the same as the database header's two-byte one).
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (!isValidPageSize(pageSize)) return undefined;
  const bigEndianChecksum = magic === WAL_MAGIC_BIG_ENDIAN;
  const checksum = walChecksum(bytes, 0, 24, bigEndianChecksum, { s1: 0, s2: 0 });
  if (checksum.s1 !== bytes.readUInt32BE(24) || checksum.s2 !== bytes.readUInt32BE(28)) return undefined;
  return {
    magic,
    bigEndianChecksum,
    pageSize,
    checkpointSequence: bytes.readUInt32BE(12),
    salt1: bytes.readUInt32BE(16),
    salt2: bytes.readUInt32BE(20),
    checksum1: checksum.s1,
    checksum2: checksum.s2,
  };
}

export interface CommittedFrames {
  /** Offset in the WAL of the first byte after the last commit frame read. */
  endOffset: number;
  /** The running checksum after that commit frame. */
  checksum: WalChecksum;
  /** One entry per transaction, in order: its frames' bytes (headers + pages) and its size in pages. */
  commits: { walOffset: number; frames: Buffer; frameCount: number; dbSizePages: number }[];
}

/**
 * Reads the frames of `walPath` from `fromOffset` (a frame boundary whose running checksum is
 * `seed`), validating salts and the checksum chain, and returns only whole transactions: frames
 * after the last commit frame (a transaction still being written, or one rolled back, whose stale
 * frames fail the chain) and torn frames are left out.
 */
export function readCommittedFrames(
  fd: number,
  header: WalHeader,
  fromOffset: number,
  seed: WalChecksum,
  fileSize: number,
): CommittedFrames {
  const frameBytes = WAL_FRAME_HEADER_BYTES + header.pageSize;
  const available = Math.floor((fileSize - fromOffset) / frameBytes);
  const result: CommittedFrames = { endOffset: fromOffset, checksum: seed, commits: [] };
  if (available <= 0) return result;
  const length = available * frameBytes;
  const bytes = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const n = fs.readSync(fd, bytes, read, length - read, fromOffset + read);
    if (n === 0) break;
    read += n;
  }
  const complete = Math.floor(read / frameBytes);
  let checksum = seed;
  let transactionStart = 0;
  for (let index = 0; index < complete; index++) {
    const at = index * frameBytes;
    if (bytes.readUInt32BE(at + 8) !== header.salt1 || bytes.readUInt32BE(at + 12) !== header.salt2) break;
    if (bytes.readUInt32BE(at) === 0) break;
    let next = walChecksum(bytes, at, at + 8, header.bigEndianChecksum, checksum);
    next = walChecksum(bytes, at + WAL_FRAME_HEADER_BYTES, at + frameBytes, header.bigEndianChecksum, next);
    if (next.s1 !== bytes.readUInt32BE(at + 16) || next.s2 !== bytes.readUInt32BE(at + 20)) break;
    checksum = next;
    const dbSizePages = bytes.readUInt32BE(at + 4);
    if (dbSizePages !== 0) {
      const end = at + frameBytes;
      result.commits.push({
        walOffset: fromOffset + transactionStart,
        frames: bytes.subarray(transactionStart, end),
        frameCount: (end - transactionStart) / frameBytes,
        dbSizePages,
      });
      result.endOffset = fromOffset + end;
      result.checksum = checksum;
      transactionStart = end;
    }
  }
  return result;
}

/** The WAL's header, or undefined when the file is missing, empty or has no valid header. */
export function readWalHeaderAt(fd: number): WalHeader | undefined {
  const bytes = Buffer.alloc(WAL_HEADER_BYTES);
  const n = fs.readSync(fd, bytes, 0, WAL_HEADER_BYTES, 0);
  return n === WAL_HEADER_BYTES ? parseWalHeader(bytes) : undefined;
}
