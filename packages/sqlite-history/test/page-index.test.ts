import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ObjectStore } from '@trustplane/kernel';
import {
  type GenerationEntry,
  HistoryCorruptError,
  HistoryRecorder,
  type Manifest,
  restoreToTime,
} from '../src/index.js';
import {
  checkpoint,
  contentOf,
  contentOfFile,
  createStore,
  integrityOf,
  openDatabase,
  random,
  type SqliteDatabase,
  sha256File,
} from './support/history-database.js';

/** The store with uploads switched off while `down` is set: everything then stays in the spool dir. */
function switchableStore(store: ObjectStore): { store: ObjectStore; setDown(down: boolean): void } {
  let down = false;
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'put' && down) {
        return async (_key: string, body: unknown) => {
          // Never read: closed, its late open (the file may be gone by then) ignored.
          const stream = body as { on?: (event: string, listener: () => void) => void; destroy?: () => void };
          stream.on?.('error', () => undefined);
          stream.destroy?.();
          throw new Error('store down (test)');
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    store: proxy,
    setDown(value) {
      down = value;
    },
  };
}

interface State {
  timeMs: number;
  content: string;
}

describe('page index of the spooled generations', () => {
  let workDir: string;
  before(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-index-'));
  });
  after(() => {
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  /** Random transactions (auto_vacuum=FULL: the file grows and shrinks), a checkpoint every `every`. */
  async function history(name: string, storeDown: boolean) {
    const dir = path.join(workDir, name);
    fs.mkdirSync(dir);
    const switchable = switchableStore(createStore(path.join(dir, 'objects')));
    switchable.setDown(storeDown);
    const databasePath = path.join(dir, 'live.db');
    const source = {
      spoolDir: path.join(dir, 'spool'),
      store: switchable.store,
      keyPrefix: `history/${name}`,
    };
    let clock = 1_780_000_000_000;
    const now = () => clock;
    const rand = random(name.length * 7919);
    const db: SqliteDatabase = openDatabase(databasePath, { autoVacuum: true });
    let recorder = HistoryRecorder.open({ ...source, databasePath, now });
    clock += 5;
    db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    recorder.afterCommit(clock);
    const states: State[] = [{ timeMs: clock, content: contentOf(db) }];
    const model = new Map<number, string>();
    let nextId = 1;
    const value = () => `${Math.floor(rand() * 1e9)}:${'y'.repeat(Math.floor(rand() * 2500))}`;
    for (let index = 0; index < 80; index++) {
      db.transaction(() => {
        for (let op = 0; op < 1 + Math.floor(rand() * 8); op++) {
          const ids = [...model.keys()];
          const dice = rand();
          const deleting = index >= 42 && index < 54;
          if (!deleting && (dice < 0.55 || ids.length === 0)) {
            const v = value();
            db.prepare('INSERT INTO items (id, v) VALUES (?, ?)').run(nextId, v);
            model.set(nextId++, v);
          } else if (!deleting && dice < 0.85) {
            const id = ids[Math.floor(rand() * ids.length)]!;
            const v = value();
            db.prepare('UPDATE items SET v = ? WHERE id = ?').run(v, id);
            model.set(id, v);
          } else if (ids.length > 0) {
            const id = ids[Math.floor(rand() * ids.length)]!;
            db.prepare('DELETE FROM items WHERE id = ?').run(id);
            model.delete(id);
          }
        }
      })();
      clock += 1 + Math.floor(rand() * 30);
      recorder.afterCommit(clock);
      states.push({
        timeMs: clock,
        content: JSON.stringify([...model.entries()].sort((a, b) => a[0] - b[0])),
      });
      if (index === 35) {
        // A restart mid-generation: the reopened recorder rebuilds the open generation's index.
        await recorder.close();
        recorder = HistoryRecorder.open({ ...source, databasePath, now });
      }
      if (index % 14 === 13) {
        clock += 3;
        await checkpoint(db, recorder).catch(() => undefined);
      }
    }
    return { dir, db, recorder, source, states, switchable, now: () => clock, end: () => clock };
  }

  function manifestOf(spoolDir: string): Manifest {
    return JSON.parse(fs.readFileSync(path.join(spoolDir, 'manifest.json'), 'utf8')) as Manifest;
  }

  const padded = (sequence: number) => String(sequence).padStart(10, '0');

  function sealedGenerations(spoolDir: string): GenerationEntry[] {
    return manifestOf(spoolDir).entries.filter(
      (entry): entry is GenerationEntry => entry.type === 'generation' && entry.sealed,
    );
  }

  test('restores through page indexes equal the model at random instants and the spool replay byte for byte — local, then stored', async () => {
    const h = await history('random', true);
    const sealed = sealedGenerations(h.source.spoolDir);
    assert.ok(sealed.length >= 5);
    assert.ok(sealed.every((entry) => entry.index && !entry.index.shipped));
    const rand = random(99);
    const first = h.states[0]!.timeMs;
    const indexed = path.join(h.dir, 'indexed.db');
    const replayed = path.join(h.dir, 'replayed.db');
    let usedIndex = 0;
    for (const phase of ['local', 'stored'] as const) {
      if (phase === 'stored') {
        h.switchable.setDown(false);
        await h.recorder.flush();
        assert.ok(sealedGenerations(h.source.spoolDir).every((entry) => entry.index?.shipped));
        const left = fs.readdirSync(h.source.spoolDir).filter((name) => name.endsWith('.index'));
        assert.equal(left.length, 1, `only the open generation's index stays local: ${left}`);
      }
      // Random instants, and the end of each sealed generation (the whole generation from its index).
      const targets = [
        h.end(),
        ...sealed.slice(1, 4).map((entry) => entry.lastCommitMs!),
        ...Array.from({ length: 3 }, () => first + Math.floor(rand() * (h.end() - first + 1))),
      ];
      for (const targetMs of targets) {
        const expected = h.states.filter((state) => state.timeMs <= targetMs).at(-1)!;
        const result = await restoreToTime(h.source, targetMs, indexed, { now: h.now });
        const replay = await restoreToTime(h.source, targetMs, replayed, { now: h.now, pageIndex: false });
        assert.equal(replay.indexedCommits, 0);
        assert.equal(result.restoredToMs, expected.timeMs, `${phase}: restoredTo for ${targetMs}`);
        assert.equal(result.commitsApplied, replay.commitsApplied);
        assert.equal(
          result.indexedCommits,
          result.commitsApplied,
          `${phase}: every commit through the index`,
        );
        assert.equal(contentOfFile(indexed), expected.content, `${phase}: content at ${targetMs}`);
        assert.equal(sha256File(indexed), sha256File(replayed), `${phase}: index = replay at ${targetMs}`);
        assert.equal(integrityOf(indexed), 'ok');
        usedIndex += result.indexedCommits;
      }
    }
    assert.ok(usedIndex >= 50, `commits located through indexes: ${usedIndex}`);
    h.db.close();
    await h.recorder.close();
  });

  test('a torn, corrupt, missing or mis-hashed index costs a spool read, never exactness', async () => {
    const h = await history('damaged', true);
    const sealed = sealedGenerations(h.source.spoolDir);
    const indexFile = (sequence: number) => path.join(h.source.spoolDir, `gen-${padded(sequence)}.index`);
    const out = path.join(h.dir, 'out.db');
    const check = async (targetMs: number) => {
      const result = await restoreToTime(h.source, targetMs, out, { now: h.now });
      const expected = h.states.filter((state) => state.timeMs <= targetMs).at(-1)!;
      assert.equal(result.restoredToMs, expected.timeMs);
      assert.equal(contentOfFile(out), expected.content);
      assert.equal(integrityOf(out), 'ok');
      return result;
    };
    const [torn, flipped, missing, misHashed] = sealed;
    assert.ok(torn && flipped && missing && misHashed);

    // Torn: the index ends mid-block (a crash while appending) — its prefix, then the spool.
    const tornBytes = fs.readFileSync(indexFile(torn.sequence));
    fs.writeFileSync(indexFile(torn.sequence), tornBytes.subarray(0, Math.floor(tornBytes.length / 2)));
    let result = await check(torn.lastCommitMs!);
    assert.ok(result.indexedCommits > 0 && result.indexedCommits < result.commitsApplied, 'prefix used');

    // A byte flipped in the first block: no usable prefix; the spool is read.
    const flippedBytes = fs.readFileSync(indexFile(flipped.sequence));
    flippedBytes[40] = flippedBytes[40]! ^ 0xff;
    fs.writeFileSync(indexFile(flipped.sequence), flippedBytes);
    result = await check(flipped.lastCommitMs!);
    assert.equal(result.indexedCommits, 0);

    // Missing: nothing to read; at shipping, the entry drops its index.
    fs.rmSync(indexFile(missing.sequence));
    result = await check(missing.lastCommitMs!);
    assert.equal(result.indexedCommits, 0);

    // Stored, then changed in the store: it no longer hashes to its record.
    h.switchable.setDown(false);
    await h.recorder.flush();
    const shipped = sealedGenerations(h.source.spoolDir).find(
      (entry) => entry.sequence === misHashed.sequence,
    )!;
    assert.equal(
      sealedGenerations(h.source.spoolDir).find((entry) => entry.sequence === missing.sequence)!.index,
      null,
    );
    assert.ok(shipped.index?.shipped);
    result = await check(misHashed.lastCommitMs!);
    assert.equal(result.indexedCommits, result.commitsApplied, 'intact while it hashes to its record');
    const objectFile = path.join(h.dir, 'objects', shipped.index.key);
    const stored = fs.readFileSync(objectFile);
    stored[stored.length - 1] = stored[stored.length - 1]! ^ 0x01;
    fs.writeFileSync(objectFile, stored);
    result = await check(misHashed.lastCommitMs!);
    assert.equal(result.indexedCommits, 0);
    h.db.close();
    await h.recorder.close();
  });

  test('a spool page that no longer matches its index is refused; nothing is published', async () => {
    const h = await history('page-damage', true);
    const gen = sealedGenerations(h.source.spoolDir)[1]!;
    const spoolFile = path.join(h.source.spoolDir, `gen-${padded(gen.sequence)}.spool`);
    const spool = fs.readFileSync(spoolFile);
    // The last frame holds the newest version of its page: the index points at it.
    spool[spool.length - 10] = spool[spool.length - 10]! ^ 0x01;
    fs.writeFileSync(spoolFile, spool);
    const out = path.join(h.dir, 'out.db');
    await assert.rejects(
      restoreToTime(h.source, gen.lastCommitMs!, out, { now: h.now }),
      (error: unknown) =>
        error instanceof HistoryCorruptError && /does not match its index/.test(error.message),
    );
    // The spool replay refuses it too: the record's CRC-32 fails, the sealed generation is short.
    await assert.rejects(
      restoreToTime(h.source, gen.lastCommitMs!, out, { now: h.now, pageIndex: false }),
      HistoryCorruptError,
    );
    assert.deepEqual(
      fs.readdirSync(h.dir).filter((name) => name.includes('out')),
      [],
    );
    h.db.close();
    await h.recorder.close();
  });
});
