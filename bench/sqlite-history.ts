// Point-in-time restore of a 256 MB SQLite database with 50,000 commits past its base, against
// `fs.copyFile` of the same number of bytes, interleaved in the same run (issue 17: restore MB/s ≥
// 0.25 × copy MB/s).
//
//   setsid sh -c 'echo -10 > /proc/self/autogroup && exec nice -n -10 npx tsx bench/sqlite-history.ts'
//   options: --megabytes 256 --commits 50000 --rounds 5 --dir /tmp
//
// The load phase is not what is measured: it runs SQLite with synchronous=OFF and spools after
// every 50 transactions (each transaction still its own record, with its own frames), so that it
// takes seconds rather than 100,000 fsyncs on a shared disk. The restore reads the base back from
// the object store (local disk, hash-checked) and replays the open generation's spool, as in use.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalObjectStore } from '@trustplane/kernel';
import { HistoryRecorder, restoreToTime } from '@trustplane/sqlite-history';
import Database from 'libsql';
import { numberArgument, textArgument } from './support/arguments.js';
import { median, spread } from './support/statistics.js';

const megabytes = numberArgument('megabytes', 256);
const commits = numberArgument('commits', 50_000);
const rounds = numberArgument('rounds', 5);
const workDir = fs.mkdtempSync(path.join(textArgument('dir') ?? os.tmpdir(), 'bench-sqlite-history-'));
const load = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

const ROW_BYTES = 3900;
const databasePath = path.join(workDir, 'live.db');
const store = createLocalObjectStore({
  rootDir: path.join(workDir, 'objects'),
  signingSecret: 'bench-sqlite-history-secret-0000',
  publicBaseUrl: 'http://localhost:1',
});
const source = { spoolDir: path.join(workDir, 'spool'), store, keyPrefix: 'history/bench' };

try {
  console.log(`load average before: ${load()} (${os.availableParallelism()} cores)`);
  let started = performance.now();
  const db = new Database(databasePath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  const rows = Math.floor((megabytes * 1024 * 1024) / 4096);
  const insert = db.prepare('INSERT INTO items (id, body) VALUES (?, randomblob(?))');
  const fill = db.transaction((from: number, to: number) => {
    for (let id = from; id < to; id++) insert.run(id, ROW_BYTES);
  });
  for (let from = 1; from <= rows; from += 2000) fill(from, Math.min(rows + 1, from + 2000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  const baseBytes = fs.statSync(databasePath).size;
  const recorder = HistoryRecorder.open({ ...source, databasePath });
  await recorder.flush();
  console.log(
    `base: ${(baseBytes / 1048576).toFixed(1)} MB, ${rows} rows, built and stored in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  started = performance.now();
  const update = db.prepare('UPDATE items SET body = randomblob(?) WHERE id = ?');
  const remove = db.prepare('DELETE FROM items WHERE id = ?');
  const add = db.prepare('INSERT INTO items (body) VALUES (randomblob(?))');
  let nextRandom = randomBytes(4).readUInt32BE(0);
  const random = () => {
    nextRandom = (Math.imul(nextRandom, 1664525) + 1013904223) >>> 0;
    return nextRandom / 4294967296;
  };
  // Only statements that changed a row commit frames (deleting a row already gone writes nothing).
  for (let commit = 1; commit <= commits; ) {
    const dice = random();
    const id = 1 + Math.floor(random() * rows);
    let changes: number;
    if (dice < 0.8) changes = update.run(100 + Math.floor(random() * ROW_BYTES), id).changes;
    else if (dice < 0.9) changes = remove.run(id).changes;
    else changes = add.run(100 + Math.floor(random() * ROW_BYTES)).changes;
    if (changes === 0) continue;
    if (commit % 50 === 0 || commit === commits) recorder.afterCommit();
    commit++;
  }
  const spool = recorder.snapshot().entries.at(-1);
  const spoolBytes = fs
    .readdirSync(source.spoolDir)
    .filter((name) => name.startsWith('gen-'))
    .reduce((sum, name) => sum + fs.statSync(path.join(source.spoolDir, name)).size, 0);
  console.log(
    `history: ${spool?.type === 'generation' ? spool.commits : '?'} commits past the base, spool ${(spoolBytes / 1048576).toFixed(1)} MB, recorded in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const targetMs = Date.now();

  const restored = path.join(workDir, 'restored.db');
  const copied = path.join(workDir, 'copied.db');
  const durable = path.join(workDir, 'durable.db');
  const restoreSeconds: number[] = [];
  const copySeconds: number[] = [];
  const durableSeconds: number[] = [];
  let resultBytes = 0;
  // Warm-up round (not counted), then interleaved: restore, copy of the result's bytes.
  for (let round = 0; round <= rounds; round++) {
    fs.rmSync(restored, { force: true });
    fs.rmSync(copied, { force: true });
    fs.rmSync(durable, { force: true });
    let t = performance.now();
    const result = await restoreToTime(source, targetMs, restored);
    const restoreTime = (performance.now() - t) / 1000;
    resultBytes = result.sizeBytes;
    if (round === 0) {
      console.log(
        `restored: ${result.commitsApplied} commits applied, ${(resultBytes / 1048576).toFixed(1)} MB`,
      );
    }
    t = performance.now();
    fs.copyFileSync(restored, copied);
    const copyTime = (performance.now() - t) / 1000;
    // The durable equivalent of what the restore promises: the copy is on disk (fsync'd) and
    // published under its name (directory fsync'd), as the restore's output is.
    t = performance.now();
    fs.copyFileSync(restored, durable);
    const fd = fs.openSync(durable, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    const dir = fs.openSync(workDir, 'r');
    fs.fsyncSync(dir);
    fs.closeSync(dir);
    const durableTime = (performance.now() - t) / 1000;
    if (round > 0) {
      restoreSeconds.push(restoreTime);
      copySeconds.push(copyTime);
      durableSeconds.push(durableTime);
      console.log(
        `round ${round}: restore ${restoreTime.toFixed(3)} s, copy ${copyTime.toFixed(3)} s, copy + fsync ${durableTime.toFixed(3)} s, load ${load()}`,
      );
    }
  }
  const mb = resultBytes / 1048576;
  const restoreRates = restoreSeconds.map((seconds) => mb / seconds);
  const copyRates = copySeconds.map((seconds) => mb / seconds);
  const durableRates = durableSeconds.map((seconds) => mb / seconds);
  const ratios = restoreSeconds.map((seconds, index) => copySeconds[index]! / seconds);
  const durableRatios = restoreSeconds.map((seconds, index) => durableSeconds[index]! / seconds);
  console.log(
    `PITR restore: median ${median(restoreRates).toFixed(0)} MB/s (spread ${spread(restoreRates, 0)})`,
  );
  console.log(`fs.copyFile:  median ${median(copyRates).toFixed(0)} MB/s (spread ${spread(copyRates, 0)})`);
  console.log(
    `copy + fsync: median ${median(durableRates).toFixed(0)} MB/s (spread ${spread(durableRates, 0)})`,
  );
  console.log(
    `ratio restore/copy: median ${median(ratios).toFixed(3)} (spread ${spread(ratios, 3)}; target ≥ 0.25)`,
  );
  console.log(
    `ratio restore/(copy + fsync): median ${median(durableRatios).toFixed(3)} (spread ${spread(durableRatios, 3)}; target ≥ 0.25)`,
  );
  console.log(`load average after: ${load()}`);
  db.close();
  await recorder.close();
} finally {
  fs.rmSync(workDir, { recursive: true, force: true });
}
