// A generation's page index (`gen-<seq>.index`, beside its spool): per commit record, its commit
// time, where the record is in the spool, the database size it committed, and for each of its
// frames the page number and the CRC-32 of the page bytes — 8 bytes per frame instead of the
// frame's 24 + page size. A restore reads the index up to the target time, keeps the newest
// offset of each page, then reads each of those pages once from the spool (checked against its
// CRC-32), instead of reading and checking every frame of every record.
//
// The recorder appends one block per commit right after the commit's record is fsync'd in the
// spool; the index itself is fsync'd only when the generation is sealed (then shipped with the
// spool, hashed). The spool stays the authority: a restore uses the index's valid prefix — blocks
// that check out and follow each other through the spool without a gap — and reads the spool's
// records past it itself (a torn or missing tail after a crash, a block being appended right
// now), and the recorder rewrites the index from the spool when it reopens a generation.
//
// Layout: a 32-byte header — magic "SHX1", version 1, sequence, page size, 12 zero bytes, CRC-32
// of bytes 0–27 — then per commit a 32-byte block header — magic "SHB1", frame count, commit time
// (f64), spool offset of the record (f64), db size in pages, CRC-32 of the block header's bytes
// 0–27 and its entries — and frame-count entries of (page number u32, CRC-32 of the page u32).
import { crc32 } from 'node:zlib';
import { RECORD_HEADER_BYTES } from './spool-format.js';
import { WAL_FRAME_HEADER_BYTES } from './wal-format.js';

export const INDEX_HEADER_BYTES = 32;
const BLOCK_HEADER_BYTES = 32;
const ENTRY_BYTES = 8;
const INDEX_MAGIC = 0x53485831; // "SHX1"
const BLOCK_MAGIC = 0x53484231; // "SHB1"

export function encodeIndexHeader(sequence: number, pageSize: number): Buffer {
  const bytes = Buffer.alloc(INDEX_HEADER_BYTES);
  bytes.writeUInt32BE(INDEX_MAGIC, 0);
  bytes.writeUInt32BE(1, 4);
  bytes.writeUInt32BE(sequence, 8);
  bytes.writeUInt32BE(pageSize, 12);
  bytes.writeUInt32BE(crc32(bytes.subarray(0, 28)), 28);
  return bytes;
}

/**
 * One commit's block. `frames` are the record's WAL frames as spooled (24-byte frame header, then
 * the page), `recordOffset` where the record (its 48-byte header) starts in the spool.
 */
export function encodeIndexBlock(
  record: { commitTimeMs: number; recordOffset: number; dbSizePages: number },
  frames: Buffer,
  pageSize: number,
): Buffer {
  const frameBytes = WAL_FRAME_HEADER_BYTES + pageSize;
  const frameCount = frames.length / frameBytes;
  const bytes = Buffer.allocUnsafe(BLOCK_HEADER_BYTES + frameCount * ENTRY_BYTES);
  bytes.writeUInt32BE(BLOCK_MAGIC, 0);
  bytes.writeUInt32BE(frameCount, 4);
  bytes.writeDoubleBE(record.commitTimeMs, 8);
  bytes.writeDoubleBE(record.recordOffset, 16);
  bytes.writeUInt32BE(record.dbSizePages, 24);
  for (let index = 0; index < frameCount; index++) {
    const at = index * frameBytes;
    const entry = BLOCK_HEADER_BYTES + index * ENTRY_BYTES;
    bytes.writeUInt32BE(frames.readUInt32BE(at), entry);
    bytes.writeUInt32BE(crc32(frames.subarray(at + WAL_FRAME_HEADER_BYTES, at + frameBytes)), entry + 4);
  }
  const crc = crc32(bytes.subarray(BLOCK_HEADER_BYTES), crc32(bytes.subarray(0, 28)));
  bytes.writeUInt32BE(crc, 28);
  return bytes;
}

/** The newest version of each page: its offset in the spool and, when known, its CRC-32. */
export interface NewestPages {
  offsets: Map<number, number>;
  /** Pages found through the index carry their CRC-32; pages found by a spool scan were checked there. */
  crcs: Map<number, number>;
}

export interface IndexedCommits {
  commits: number;
  lastCommitMs: number | null;
  dbSizePages: number;
  /** A block stamped after the target time was reached: nothing later applies. */
  reachedTarget: boolean;
  /** Spool offset just past the last record the index covered (where a scan continues). */
  nextRecordOffset: number;
}

/**
 * Walks the index's valid prefix, adding each commit stamped at or before `targetMs` to `pages`.
 * Returns undefined when the header does not describe this generation (the caller scans instead).
 */
export function readIndex(
  bytes: Buffer,
  generation: { sequence: number; pageSize: number },
  firstRecordOffset: number,
  targetMs: number,
  pages: NewestPages,
): IndexedCommits | undefined {
  if (bytes.length < INDEX_HEADER_BYTES) return undefined;
  if (bytes.readUInt32BE(0) !== INDEX_MAGIC || bytes.readUInt32BE(4) !== 1) return undefined;
  if (crc32(bytes.subarray(0, 28)) !== bytes.readUInt32BE(28)) return undefined;
  const pageSize = bytes.readUInt32BE(12);
  if (bytes.readUInt32BE(8) !== generation.sequence || pageSize !== generation.pageSize) return undefined;
  const frameBytes = WAL_FRAME_HEADER_BYTES + pageSize;
  const result: IndexedCommits = {
    commits: 0,
    lastCommitMs: null,
    dbSizePages: 0,
    reachedTarget: false,
    nextRecordOffset: firstRecordOffset,
  };
  let at = INDEX_HEADER_BYTES;
  while (at + BLOCK_HEADER_BYTES <= bytes.length) {
    if (bytes.readUInt32BE(at) !== BLOCK_MAGIC) break;
    const frameCount = bytes.readUInt32BE(at + 4);
    const end = at + BLOCK_HEADER_BYTES + frameCount * ENTRY_BYTES;
    if (frameCount === 0 || end > bytes.length) break;
    const crc = crc32(bytes.subarray(at + BLOCK_HEADER_BYTES, end), crc32(bytes.subarray(at, at + 28)));
    if (crc !== bytes.readUInt32BE(at + 28)) break;
    // Blocks follow the spool's records one after the other: a gap ends the usable prefix.
    if (bytes.readDoubleBE(at + 16) !== result.nextRecordOffset) break;
    const commitTimeMs = bytes.readDoubleBE(at + 8);
    if (commitTimeMs > targetMs) {
      result.reachedTarget = true;
      break;
    }
    const payload = result.nextRecordOffset + RECORD_HEADER_BYTES;
    for (let index = 0; index < frameCount; index++) {
      const entry = at + BLOCK_HEADER_BYTES + index * ENTRY_BYTES;
      const pageNumber = bytes.readUInt32BE(entry);
      pages.offsets.set(pageNumber, payload + index * frameBytes + WAL_FRAME_HEADER_BYTES);
      pages.crcs.set(pageNumber, bytes.readUInt32BE(entry + 4));
    }
    result.commits++;
    result.lastCommitMs = commitTimeMs;
    result.dbSizePages = bytes.readUInt32BE(at + 24);
    result.nextRecordOffset = payload + frameCount * frameBytes;
    at = end;
  }
  return result;
}
