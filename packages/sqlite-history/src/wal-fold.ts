// Folding a WAL into a copy of its database file: what a checkpoint writes, without checkpointing
// the live file (its WAL, and the history recording it, stay as they are).
import fs from 'node:fs';
import type { WalPosition } from './manifest.js';
import { writePages } from './page-writer.js';
import {
  readCommittedFrames,
  readWalHeaderAt,
  WAL_FRAME_HEADER_BYTES,
  WAL_HEADER_BYTES,
} from './wal-format.js';

/**
 * Writes the committed frames of the WAL at `walPath` into `fd`, an open copy of its database file,
 * as SQLite's checkpoint would: the newest version of each page at (n − 1) · pageSize, the file cut
 * to the last commit's size. Frames after the last commit (a transaction still writing, a torn or
 * stale tail) are left out, as SQLite's recovery leaves them out. Returns where the committed
 * frames end in the WAL, or null when there is no WAL (or no valid header: nothing committed).
 * The caller holds the file's write lock and fsyncs `fd`.
 */
export function foldWal(fd: number, walPath: string): WalPosition | null {
  let walFd: number;
  try {
    walFd = fs.openSync(walPath, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const header = readWalHeaderAt(walFd);
    if (!header) return null;
    const committed = readCommittedFrames(
      walFd,
      header,
      WAL_HEADER_BYTES,
      { s1: header.checksum1, s2: header.checksum2 },
      fs.fstatSync(walFd).size,
    );
    const frameBytes = WAL_FRAME_HEADER_BYTES + header.pageSize;
    const pages = new Map<number, number>();
    let dbSizePages = 0;
    for (const commit of committed.commits) {
      for (let index = 0; index < commit.frameCount; index++) {
        const at = index * frameBytes;
        pages.set(commit.frames.readUInt32BE(at), commit.walOffset + at + WAL_FRAME_HEADER_BYTES);
      }
      dbSizePages = commit.dbSizePages;
    }
    if (pages.size > 0) {
      writePages(fd, walFd, pages, header.pageSize);
      fs.ftruncateSync(fd, dbSizePages * header.pageSize);
    }
    return {
      salt1: header.salt1,
      salt2: header.salt2,
      offset: committed.endOffset,
      checksum1: committed.checksum.s1,
      checksum2: committed.checksum.s2,
    };
  } finally {
    fs.closeSync(walFd);
  }
}
