// A database owner under load, for the crash test: commits rows one transaction at a time, records
// each commit, checkpoints every 40 commits, and prints `ack <id> <commitTimeMs>` only once
// `afterCommit` has returned — what the host's response to a client would be. Runs until killed.
import { randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import { HistoryRecorder } from '../../src/index.js';
import { checkpoint, createStore, openDatabase } from './history-database.js';

const [databasePath, spoolDir, objectsDir] = process.argv.slice(2) as [string, string, string];
const db = openDatabase(databasePath);
const recorder = HistoryRecorder.open({
  databasePath,
  spoolDir,
  store: createStore(objectsDir),
  keyPrefix: 'history/crash',
});
db.exec('CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
recorder.afterCommit();
const insert = db.prepare('INSERT INTO items (id, v) VALUES (?, ?)');
let id = (db.prepare('SELECT coalesce(max(id), 0) AS n FROM items').raw().get() as number[])[0]!;
for (;;) {
  id++;
  // Rows of 0–6 KiB: some transactions are one page, others spill over several.
  insert.run(id, randomBytes(Math.floor(Math.random() * 3072)).toString('hex'));
  const commitTimeMs = Date.now();
  recorder.afterCommit(commitTimeMs);
  writeSync(1, `ack ${id} ${commitTimeMs}\n`);
  if (id % 40 === 0) await checkpoint(db, recorder);
}
