import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { HistoryRecorder, parseWalHeader, restoreToTime, walChecksum } from '../src/index.js';
import { contentOf, contentOfFile, createStore, openDatabase } from './support/history-database.js';

let workDir: string;
before(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-tails-'));
});
after(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
});

/** A frame that continues the WAL's checksum chain from its last frame: valid as far as SQLite is concerned. */
function chainedFrame(wal: Buffer, pageNumber: number, dbSizePages: number, fill: number): Buffer {
  const header = parseWalHeader(wal)!;
  const frameBytes = 24 + header.pageSize;
  const last = wal.length - frameBytes;
  const frame = Buffer.alloc(frameBytes, fill);
  frame.writeUInt32BE(pageNumber, 0);
  frame.writeUInt32BE(dbSizePages, 4);
  frame.writeUInt32BE(header.salt1, 8);
  frame.writeUInt32BE(header.salt2, 12);
  let checksum = { s1: wal.readUInt32BE(last + 16), s2: wal.readUInt32BE(last + 20) };
  checksum = walChecksum(frame, 0, 8, header.bigEndianChecksum, checksum);
  checksum = walChecksum(frame, 24, frameBytes, header.bigEndianChecksum, checksum);
  frame.writeUInt32BE(checksum.s1, 16);
  frame.writeUInt32BE(checksum.s2, 20);
  return frame;
}

function openGenerationCommits(recorder: HistoryRecorder): number {
  const open = recorder.snapshot().entries.at(-1)!;
  assert.equal(open.type, 'generation');
  return open.type === 'generation' ? open.commits : -1;
}

test('frames past the last commit in the WAL — uncommitted, torn or failing the checksum chain — are never spooled', async () => {
  const dir = path.join(workDir, 'wal');
  const databasePath = path.join(dir, 'live.db');
  fs.mkdirSync(dir);
  const source = {
    spoolDir: path.join(dir, 'spool'),
    store: createStore(path.join(dir, 'objects')),
    keyPrefix: 'h/wal',
  };
  const db = openDatabase(databasePath);
  const recorder = HistoryRecorder.open({ ...source, databasePath });
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  recorder.afterCommit();
  db.prepare('INSERT INTO items VALUES (?, ?)').run(1, 'one');
  recorder.afterCommit();
  const committed = contentOf(db);
  const commits = openGenerationCommits(recorder);
  const walFile = `${databasePath}-wal`;
  const wal = fs.readFileSync(walFile);

  // A valid but uncommitted frame (a transaction spilling to the WAL before its commit)…
  const uncommitted = chainedFrame(wal, 2, 0, 0xab);
  // …then a commit frame whose checksum does not continue the chain…
  const badChecksum = chainedFrame(wal, 2, 2, 0xcd);
  badChecksum.writeUInt32BE((badChecksum.readUInt32BE(16) ^ 1) >>> 0, 16);
  fs.appendFileSync(walFile, Buffer.concat([uncommitted, badChecksum]));
  recorder.afterCommit();
  assert.equal(openGenerationCommits(recorder), commits);

  // …and a commit frame that would be valid, torn halfway through its page by a crash.
  const withTorn = fs.readFileSync(`${databasePath}-wal`).subarray(0, wal.length);
  const torn = chainedFrame(withTorn, 2, 2, 0xef);
  fs.truncateSync(walFile, wal.length);
  fs.appendFileSync(walFile, torn.subarray(0, torn.length >> 1));
  recorder.afterCommit();
  assert.equal(openGenerationCommits(recorder), commits);
  const restored = path.join(dir, 'restored.db');
  await restoreToTime(source, Date.now(), restored);
  assert.equal(contentOfFile(restored), committed);

  // SQLite itself writes over the tail with its next transaction, which is spooled as usual.
  db.prepare('INSERT INTO items VALUES (?, ?)').run(2, 'two');
  recorder.afterCommit();
  assert.equal(openGenerationCommits(recorder), commits + 1);
  await restoreToTime(source, Date.now(), restored);
  assert.equal(contentOfFile(restored), contentOf(db));
  db.close();
  await recorder.close();
});

test('a record torn at the spool tail by a crash is ignored by restores and cut when the recorder reopens', async () => {
  const dir = path.join(workDir, 'spool-tail');
  const databasePath = path.join(dir, 'live.db');
  fs.mkdirSync(dir);
  const source = {
    spoolDir: path.join(dir, 'spool'),
    store: createStore(path.join(dir, 'objects')),
    keyPrefix: 'h/tail',
  };
  const db = openDatabase(databasePath);
  let recorder = HistoryRecorder.open({ ...source, databasePath });
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  recorder.afterCommit();
  for (let id = 1; id <= 5; id++) {
    db.prepare('INSERT INTO items VALUES (?, ?)').run(id, `row ${id}`);
    recorder.afterCommit();
  }
  await recorder.close();
  const spoolFile = path.join(
    source.spoolDir,
    fs.readdirSync(source.spoolDir).find((name) => name.startsWith('gen-') && name.endsWith('.spool'))!,
  );
  const intact = fs.statSync(spoolFile).size;
  // Half of the last record again: a header that checks out, frames that stop short.
  const bytes = fs.readFileSync(spoolFile);
  fs.appendFileSync(spoolFile, bytes.subarray(bytes.length - 4096, bytes.length - 1024));
  const restored = path.join(dir, 'restored.db');
  await restoreToTime(source, Date.now(), restored);
  assert.equal(contentOfFile(restored), contentOf(db));

  recorder = HistoryRecorder.open({ ...source, databasePath });
  assert.equal(fs.statSync(spoolFile).size, intact);
  db.prepare('INSERT INTO items VALUES (?, ?)').run(6, 'row 6');
  recorder.afterCommit();
  await restoreToTime(source, Date.now(), restored);
  assert.equal(contentOfFile(restored), contentOf(db));
  assert.equal(JSON.parse(contentOfFile(restored)).length, 6);
  db.close();
  await recorder.close();
});
