// A generation's spool file: a header naming the WAL generation (salts, page size), then one record
// per committed transaction — a header (commit time, where its frames were in the WAL, the database
// size it committed) and its WAL frames as SQLite wrote them. Both header and frames carry a CRC-32:
// a record that does not check out (a write torn by a crash) ends the spool, like SQLite's own WAL.
import fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { WAL_FRAME_HEADER_BYTES } from './wal-format.js';

export const SPOOL_HEADER_BYTES = 64;
export const RECORD_HEADER_BYTES = 48;
const SPOOL_MAGIC = 0x53484731; // "SHG1"
const RECORD_MAGIC = 0x53485231; // "SHR1"

export interface SpoolHeader {
  sequence: number;
  pageSize: number;
  salt1: number;
  salt2: number;
  /** WAL offset and running checksum where this generation's first record starts. */
  walOffset: number;
  checksum1: number;
  checksum2: number;
}

export interface SpoolRecord {
  /** Offset in the spool file of the record's frames. */
  payloadOffset: number;
  /** Offset in the spool file just past the record. */
  endOffset: number;
  frameCount: number;
  commitTimeMs: number;
  walOffset: number;
  dbSizePages: number;
}

export function encodeSpoolHeader(header: SpoolHeader): Buffer {
  const bytes = Buffer.alloc(SPOOL_HEADER_BYTES);
  bytes.writeUInt32BE(SPOOL_MAGIC, 0);
  bytes.writeUInt32BE(1, 4);
  bytes.writeUInt32BE(header.sequence, 8);
  bytes.writeUInt32BE(header.pageSize, 12);
  bytes.writeUInt32BE(header.salt1, 16);
  bytes.writeUInt32BE(header.salt2, 20);
  bytes.writeDoubleBE(header.walOffset, 24);
  bytes.writeUInt32BE(header.checksum1, 32);
  bytes.writeUInt32BE(header.checksum2, 36);
  bytes.writeUInt32BE(crc32(bytes.subarray(0, 60)), 60);
  return bytes;
}

export function decodeSpoolHeader(bytes: Buffer): SpoolHeader | undefined {
  if (bytes.length < SPOOL_HEADER_BYTES) return undefined;
  if (bytes.readUInt32BE(0) !== SPOOL_MAGIC || bytes.readUInt32BE(4) !== 1) return undefined;
  if (crc32(bytes.subarray(0, 60)) !== bytes.readUInt32BE(60)) return undefined;
  return {
    sequence: bytes.readUInt32BE(8),
    pageSize: bytes.readUInt32BE(12),
    salt1: bytes.readUInt32BE(16),
    salt2: bytes.readUInt32BE(20),
    walOffset: bytes.readDoubleBE(24),
    checksum1: bytes.readUInt32BE(32),
    checksum2: bytes.readUInt32BE(36),
  };
}

export function encodeRecordHeader(
  record: { frameCount: number; commitTimeMs: number; walOffset: number; dbSizePages: number },
  pageSize: number,
  frames: Buffer,
): Buffer {
  const bytes = Buffer.alloc(RECORD_HEADER_BYTES);
  bytes.writeUInt32BE(RECORD_MAGIC, 0);
  bytes.writeUInt32BE(record.frameCount, 4);
  bytes.writeDoubleBE(record.commitTimeMs, 8);
  bytes.writeDoubleBE(record.walOffset, 16);
  bytes.writeUInt32BE(record.dbSizePages, 24);
  bytes.writeUInt32BE(pageSize, 28);
  bytes.writeUInt32BE(crc32(frames), 32);
  bytes.writeUInt32BE(crc32(bytes.subarray(0, 44)), 44);
  return bytes;
}

/**
 * Sequential reads of a file through one large buffer: a spool is scanned front to back, and most
 * records are a few pages, so reading them one by one would be a system call each.
 */
export class WindowReader {
  private window: Buffer;
  private windowStart = 0;
  private windowLength = 0;

  /** `buffer` (8 MiB by default) may be shared by readers used one after the other. */
  constructor(
    private readonly fd: number,
    readonly size: number,
    buffer: Buffer = Buffer.allocUnsafe(8 * 1024 * 1024),
  ) {
    this.window = buffer;
  }

  /** `length` bytes at `position`, or undefined past the end of the file. Valid until the next call. */
  read(position: number, length: number): Buffer | undefined {
    if (position + length > this.size) return undefined;
    const windowEnd = this.windowStart + this.windowLength;
    if (position >= this.windowStart && position + length <= windowEnd) {
      return this.window.subarray(position - this.windowStart, position - this.windowStart + length);
    }
    // A read larger than the window (a transaction of many pages) gets a buffer of its own.
    if (length > this.window.length) this.window = Buffer.allocUnsafe(length);
    const want = Math.min(this.window.length, this.size - position);
    let read = 0;
    while (read < want) {
      const n = fs.readSync(this.fd, this.window, read, want - read, position + read);
      if (n === 0) break;
      read += n;
    }
    this.windowStart = position;
    this.windowLength = read;
    if (read < length) return undefined;
    return this.window.subarray(0, length);
  }
}

/** The spool's header, when it has a valid one. */
export function readSpoolHeader(reader: WindowReader): SpoolHeader | undefined {
  const bytes = reader.read(0, SPOOL_HEADER_BYTES);
  return bytes ? decodeSpoolHeader(Buffer.from(bytes)) : undefined;
}

/**
 * The records of a spool in order, ending at the first one that is incomplete or fails its checks
 * (salts of its frames included). `onFrames` sees each valid record's frames before the next is read.
 */
export function* scanSpool(
  reader: WindowReader,
  header: SpoolHeader,
  /** Where a record starts: the first one by default; past the records a page index covered. */
  start = SPOOL_HEADER_BYTES,
): Generator<SpoolRecord> {
  const frameBytes = WAL_FRAME_HEADER_BYTES + header.pageSize;
  let offset = start;
  for (;;) {
    const head = reader.read(offset, RECORD_HEADER_BYTES);
    if (!head) return;
    if (head.readUInt32BE(0) !== RECORD_MAGIC) return;
    if (crc32(head.subarray(0, 44)) !== head.readUInt32BE(44)) return;
    const frameCount = head.readUInt32BE(4);
    const record: SpoolRecord = {
      payloadOffset: offset + RECORD_HEADER_BYTES,
      endOffset: offset + RECORD_HEADER_BYTES + frameCount * frameBytes,
      frameCount,
      commitTimeMs: head.readDoubleBE(8),
      walOffset: head.readDoubleBE(16),
      dbSizePages: head.readUInt32BE(24),
    };
    const pageSize = head.readUInt32BE(28);
    const expectedCrc = head.readUInt32BE(32);
    if (pageSize !== header.pageSize || frameCount === 0) return;
    if (!framesCheckOut(reader, record, header, frameBytes, expectedCrc)) return;
    yield record;
    offset = record.endOffset;
  }
}

function framesCheckOut(
  reader: WindowReader,
  record: SpoolRecord,
  header: SpoolHeader,
  frameBytes: number,
  expectedCrc: number,
): boolean {
  // Read in slices so a transaction of many pages never needs one buffer of its own size.
  const framesPerSlice = Math.max(1, Math.floor((4 * 1024 * 1024) / frameBytes));
  let crc = 0;
  for (let first = 0; first < record.frameCount; first += framesPerSlice) {
    const count = Math.min(framesPerSlice, record.frameCount - first);
    const slice = reader.read(record.payloadOffset + first * frameBytes, count * frameBytes);
    if (!slice) return false;
    for (let index = 0; index < count; index++) {
      const at = index * frameBytes;
      if (slice.readUInt32BE(at + 8) !== header.salt1 || slice.readUInt32BE(at + 12) !== header.salt2) {
        return false;
      }
    }
    crc = crc32(slice, crc);
  }
  return crc === expectedCrc;
}
