import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  BackupCorruptError,
  HistoryCorruptError,
  HistoryRecorder,
  RestoreOutOfRangeError,
  restoreBackup,
  restoreToTime,
  storeBackup,
  verifyBackup,
} from '../src/index.js';
import {
  checkpoint,
  checkpointedCopy,
  contentOf,
  contentOfFile,
  createStore,
  openDatabase,
  sha256File,
} from './support/history-database.js';

let workDir: string;
before(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-backups-'));
});
after(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
});

function flipByte(file: string, at: number): void {
  const bytes = fs.readFileSync(file);
  bytes[at] = bytes[at]! ^ 0xff;
  fs.writeFileSync(file, bytes);
}

test('a backup is a hashed checkpointed copy; a corrupt or missing one is refused and the live file stays untouched', async () => {
  const dir = path.join(workDir, 'backup');
  fs.mkdirSync(dir);
  const objectsDir = path.join(dir, 'objects');
  const store = createStore(objectsDir);
  const databasePath = path.join(dir, 'live.db');
  const db = openDatabase(databasePath);
  const recorder = HistoryRecorder.open({
    spoolDir: path.join(dir, 'spool'),
    store,
    keyPrefix: 'h/b',
    databasePath,
  });
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  recorder.afterCommit();
  for (let id = 1; id <= 50; id++) {
    db.prepare('INSERT INTO items VALUES (?, ?)').run(id, 'v'.repeat(id * 20));
    recorder.afterCommit();
  }
  const expected = contentOf(db);

  // Every backup is a base: the checkpoint's copy, kept, with its size and hash.
  const base = await checkpoint(db, recorder, true);
  assert.ok(base.sha256 && base.kept && base.shipped);
  const backup = { key: base.key, sizeBytes: base.sizeBytes, sha256: base.sha256 };
  assert.equal(backup.sha256, sha256File(databasePath));
  assert.equal(backup.sizeBytes, fs.statSync(databasePath).size);
  await verifyBackup(store, backup);
  const target = path.join(dir, 'from-backup.db');
  await restoreBackup(store, backup, target);
  assert.equal(sha256File(target), backup.sha256);
  assert.equal(contentOfFile(target), expected);

  // A copy made elsewhere (the host's copyCheckpointed) stored as a backup.
  const copy = path.join(dir, 'copy.db');
  checkpointedCopy(databasePath, copy);
  const stored = await storeBackup(store, 'h/b/backups/manual-1.db', copy);
  assert.deepEqual(stored, {
    key: 'h/b/backups/manual-1.db',
    sizeBytes: fs.statSync(copy).size,
    sha256: sha256File(copy),
  });

  // Corrupt the stored object: verify and restore refuse it, nothing is written at the target.
  flipByte(path.join(objectsDir, stored.key), 100);
  await assert.rejects(verifyBackup(store, stored), BackupCorruptError);
  const live = path.join(dir, 'live-copy.db');
  fs.copyFileSync(databasePath, live);
  const liveHash = sha256File(live);
  await assert.rejects(restoreBackup(store, stored, live), (error: unknown) => {
    assert.ok(error instanceof BackupCorruptError);
    assert.equal(error.code, 'corrupt');
    assert.equal(error.actual?.sizeBytes, stored.sizeBytes);
    assert.notEqual(error.actual?.sha256, stored.sha256);
    return true;
  });
  assert.equal(sha256File(live), liveHash);
  assert.deepEqual(
    fs.readdirSync(dir).filter((name) => name.endsWith('.tmp')),
    [],
  );
  await store.delete(stored.key);
  await assert.rejects(verifyBackup(store, stored), BackupCorruptError);

  // A corrupt base is refused by point-in-time restore too, rather than rebuilt into a wrong file:
  // once a newer base exists, the older one is read back from the object store and hash-checked.
  const beforeNewerBase = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 5));
  db.prepare('INSERT INTO items VALUES (?, ?)').run(51, 'after the backup');
  recorder.afterCommit();
  await checkpoint(db, recorder);
  const history = { spoolDir: path.join(dir, 'spool'), store, keyPrefix: 'h/b' };
  await restoreToTime(history, beforeNewerBase, target);
  assert.equal(contentOfFile(target), expected);
  flipByte(path.join(objectsDir, base.key), 200);
  await assert.rejects(restoreToTime(history, beforeNewerBase, target), HistoryCorruptError);
  db.close();
  await recorder.close();
});

test('retention drops what a restore inside the window cannot need, and keeps backups', async () => {
  const dir = path.join(workDir, 'retention');
  fs.mkdirSync(dir);
  const objectsDir = path.join(dir, 'objects');
  const store = createStore(objectsDir);
  const databasePath = path.join(dir, 'live.db');
  const source = { spoolDir: path.join(dir, 'spool'), store, keyPrefix: 'h/r' };
  const hour = 3_600_000;
  let clock = 1_780_000_000_000;
  const now = () => clock;
  const db = openDatabase(databasePath);
  const recorder = HistoryRecorder.open({ ...source, databasePath, now });
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  recorder.afterCommit();
  const states: { timeMs: number; content: string }[] = [];
  let keptKey = '';
  // Three days of commits, a checkpoint (and base) every six hours; the first one is a backup.
  for (let id = 1; id <= 72; id++) {
    clock += hour;
    db.prepare('INSERT INTO items VALUES (?, ?)').run(id, `row ${id}`);
    recorder.afterCommit(clock);
    states.push({ timeMs: clock, content: contentOf(db) });
    if (id % 6 === 0) {
      clock += 1;
      const base = await checkpoint(db, recorder, id === 6);
      if (id === 6) keptKey = base.key;
    }
  }
  const before = recorder.snapshot().entries;
  const window = 24 * hour;
  const { removedEntries } = await recorder.prune(window);
  const afterPrune = recorder.snapshot().entries;
  assert.equal(afterPrune.length, before.length - removedEntries);
  assert.ok(removedEntries > 10);
  const first = afterPrune[0]!;
  assert.equal(first.type, 'base');
  assert.ok(first.type === 'base' && first.takenAtMs <= clock - window);
  for (const entry of before.slice(0, removedEntries)) {
    const exists = fs.existsSync(path.join(objectsDir, entry.key));
    assert.equal(exists, entry.key === keptKey, `${entry.key} ${exists ? 'kept' : 'deleted'}`);
  }

  // Anywhere inside the window still restores exactly; before the kept history is out of range.
  const restored = path.join(dir, 'restored.db');
  for (const offset of [window, window - 1, 7 * hour, 0]) {
    const targetMs = clock - offset;
    await restoreToTime(source, targetMs, restored, { now });
    assert.equal(contentOfFile(restored), states.filter((state) => state.timeMs <= targetMs).at(-1)!.content);
  }
  await assert.rejects(
    restoreToTime(source, first.type === 'base' ? first.takenAtMs - 1 : 0, restored, { now }),
    RestoreOutOfRangeError,
  );
  db.close();
  await recorder.close();
});
