import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  HistoryRecorder,
  NoHistoryError,
  RestoreOutOfRangeError,
  historyRange,
  restoreToTime,
} from '../src/index.js';
import {
  checkpoint,
  checkpointedCopy,
  contentOf,
  contentOfFile,
  createStore,
  integrityOf,
  openDatabase,
  random,
  type SqliteDatabase,
  sha256File,
} from './support/history-database.js';

describe('point-in-time restore of a libsql file from its recorded history', () => {
  let workDir: string;
  before(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-pitr-'));
  });
  after(() => {
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  test('random transactions with checkpoints between them: every instant restores to the model, commit boundaries byte for byte', async () => {
    const dir = path.join(workDir, 'random');
    fs.mkdirSync(dir);
    const store = createStore(path.join(dir, 'objects'));
    const databasePath = path.join(dir, 'live.db');
    const source = { spoolDir: path.join(dir, 'spool'), store, keyPrefix: 'history/random' };
    let clock = 1_750_000_000_000;
    const now = () => clock;
    const rand = random(17);

    // auto_vacuum=FULL: deletes give pages back, so the file also shrinks, not only grows.
    const db: SqliteDatabase = openDatabase(databasePath, { autoVacuum: true });
    const recorder = HistoryRecorder.open({ ...source, databasePath, now });
    clock += 5;
    db.exec(
      'CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT NOT NULL); CREATE INDEX items_v ON items (v)',
    );
    recorder.afterCommit(clock);

    const model = new Map<number, string>();
    const states: { timeMs: number; content: string; copy?: string }[] = [
      { timeMs: clock, content: contentOf(db) },
    ];
    let nextId = 1;
    const insert = db.prepare('INSERT INTO items (id, v) VALUES (?, ?)');
    const update = db.prepare('UPDATE items SET v = ? WHERE id = ?');
    const remove = db.prepare('DELETE FROM items WHERE id = ?');
    const value = () => `${Math.floor(rand() * 1e9)}:${'x'.repeat(Math.floor(rand() * 1800))}`;
    let checkpoints = 0;

    for (let index = 0; index < 260; index++) {
      const ids = [...model.keys()];
      const transaction = db.transaction(() => {
        const operations = 1 + Math.floor(rand() * 12);
        for (let op = 0; op < operations; op++) {
          const dice = rand();
          // Phases: mostly inserts early (page splits, growth), mass deletes in the middle (shrink).
          const deleting = index >= 120 && index < 170;
          if (!deleting && (dice < 0.6 || ids.length === 0)) {
            const v = value();
            insert.run(nextId, v);
            model.set(nextId, v);
            ids.push(nextId);
            nextId++;
          } else if (!deleting && dice < 0.85) {
            const id = ids[Math.floor(rand() * ids.length)]!;
            const v = value();
            update.run(v, id);
            model.set(id, v);
          } else if (ids.length > 0) {
            const at = Math.floor(rand() * ids.length);
            const id = ids[at]!;
            ids.splice(at, 1);
            remove.run(id);
            model.delete(id);
          }
        }
      });
      transaction();
      clock += 1 + Math.floor(rand() * 40);
      recorder.afterCommit(clock);
      const state: (typeof states)[number] = {
        timeMs: clock,
        content: JSON.stringify([...model.entries()].sort((a, b) => a[0] - b[0])),
      };
      assert.equal(contentOf(db), state.content);
      if (index % 37 === 5) {
        state.copy = path.join(dir, `copy-${index}.db`);
        checkpointedCopy(databasePath, state.copy);
      }
      states.push(state);
      if (index % 53 === 52) {
        clock += 3;
        await checkpoint(db, recorder);
        checkpoints++;
      }
    }
    assert.ok(checkpoints >= 4);
    const sizes = states.map((state) => state.content.length);
    assert.ok(Math.min(...sizes.slice(130)) < Math.max(...sizes.slice(0, 130)), 'the database shrank');
    await recorder.flush();

    const range = await historyRange(source, { now });
    const restored = path.join(dir, 'restored.db');
    // Random instants, including ones between commits and exactly on them.
    for (let probe = 0; probe < 30; probe++) {
      const targetMs =
        probe % 3 === 0
          ? states[Math.floor(rand() * states.length)]!.timeMs
          : range.fromMs + Math.floor(rand() * (clock - range.fromMs + 1));
      const expected = states.filter((state) => state.timeMs <= targetMs).at(-1)!;
      const result = await restoreToTime(source, targetMs, restored, { now });
      assert.equal(result.restoredToMs, expected.timeMs, `restoredTo for ${targetMs}`);
      assert.equal(contentOfFile(restored), expected.content, `content at ${targetMs}`);
      assert.equal(integrityOf(restored), 'ok');
    }
    const withCopies = states.filter((state) => state.copy);
    assert.ok(withCopies.length >= 5);
    for (const state of withCopies) {
      await restoreToTime(source, state.timeMs, restored, { now });
      assert.equal(sha256File(restored), sha256File(state.copy!), `byte-equal at ${state.timeMs}`);
    }
    // The newest state, restored from bases and generations fetched back from the object store.
    const latest = path.join(dir, 'latest.db');
    await restoreToTime(source, clock, latest, { now });
    assert.deepEqual(
      fs.readdirSync(dir).filter((name) => name.startsWith('latest') || name.startsWith('.latest')),
      ['latest.db'],
    );
    checkpointedCopy(databasePath, path.join(dir, 'final.db'));
    assert.equal(sha256File(latest), sha256File(path.join(dir, 'final.db')));
    db.close();
    await recorder.close();
  });

  test('a time before the first base or in the future is refused with the valid range', async () => {
    const dir = path.join(workDir, 'range');
    fs.mkdirSync(dir);
    const store = createStore(path.join(dir, 'objects'));
    const source = { spoolDir: path.join(dir, 'spool'), store, keyPrefix: 'history/range' };
    const output = path.join(dir, 'out.db');
    await assert.rejects(restoreToTime(source, Date.now(), output), NoHistoryError);
    let clock = 1_760_000_000_000;
    const now = () => clock;
    const databasePath = path.join(dir, 'live.db');
    const db = openDatabase(databasePath);
    const recorder = HistoryRecorder.open({ ...source, databasePath, now });
    const startedAt = clock;
    clock += 10;
    db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT)');
    recorder.afterCommit(clock);
    for (const target of [startedAt - 1, clock + 1, Number.NaN]) {
      await assert.rejects(restoreToTime(source, target, output, { now }), (error: unknown) => {
        assert.ok(error instanceof RestoreOutOfRangeError, String(error));
        assert.equal(error.validFromMs, startedAt);
        assert.equal(error.validToMs, clock);
        assert.equal(error.code, 'out_of_range');
        return true;
      });
    }
    assert.ok(!fs.existsSync(output));
    // The first instant restores the database as it was before its first commit.
    const result = await restoreToTime(source, startedAt, output, { now });
    assert.equal(result.commitsApplied, 0);
    db.close();
    await recorder.close();
  });

  test('a restore swapped in is undone by restoring to a time before it', async () => {
    const dir = path.join(workDir, 'undo');
    fs.mkdirSync(dir);
    const store = createStore(path.join(dir, 'objects'));
    const source = { spoolDir: path.join(dir, 'spool'), store, keyPrefix: 'history/undo' };
    let clock = 1_770_000_000_000;
    const now = () => clock;
    const databasePath = path.join(dir, 'live.db');
    let db = openDatabase(databasePath);
    const recorder = HistoryRecorder.open({ ...source, databasePath, now });
    const commit = (sql: string) => {
      clock += 10;
      db.exec(sql);
      recorder.afterCommit(clock);
    };
    commit('CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    commit(`INSERT INTO items VALUES (1, 'one')`);
    const early = clock;
    commit(`INSERT INTO items VALUES (2, 'two')`);
    commit(`UPDATE items SET v = 'uno' WHERE id = 1`);
    const beforeRestore = clock;
    const beforeContent = contentOf(db);

    // The host's restore: build the file at `early`, swap it in, tell the recorder.
    clock += 10;
    const restored = path.join(dir, 'restored.db');
    await restoreToTime(source, early, restored, { now });
    recorder.beforeCheckpoint();
    db.close();
    fs.rmSync(`${databasePath}-wal`, { force: true });
    fs.rmSync(`${databasePath}-shm`, { force: true });
    fs.renameSync(restored, databasePath);
    db = openDatabase(databasePath);
    await recorder.afterReplace();
    assert.equal(contentOf(db), JSON.stringify([[1, 'one']]));
    commit(`INSERT INTO items VALUES (3, 'three')`);

    // Undo: back to just before the restore.
    await restoreToTime(source, beforeRestore, restored, { now });
    assert.equal(contentOfFile(restored), beforeContent);
    // And the restored timeline itself is history too.
    await restoreToTime(source, clock, restored, { now });
    assert.equal(
      contentOfFile(restored),
      JSON.stringify([
        [1, 'one'],
        [3, 'three'],
      ]),
    );
    db.close();
    await recorder.close();
  });
});
