import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createObjectStore } from '@trustplane/kernel';
import { restoreToTime } from '@trustplane/sqlite-history';
import Database from 'libsql';
import { type DatabaseHostError, historyRecorderModule, historySource } from '../src/index.js';
import { tempDirectory, tempHost } from './temp-host.js';

interface JournalLine {
  databaseId: string;
  hook: string;
  walBytes: number;
  commitTimeMs?: number;
  kept?: boolean;
}

function readJournal(file: string): JournalLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as JournalLine);
}

const journalModule = (journal: string, extra: Record<string, unknown> = {}) => ({
  module: new URL('./support/journal-recorder.ts', import.meta.url).href,
  exportName: 'journalRecorder',
  options: { journal, afterCommitDelayMs: 300, ...extra },
});

describe('commit hook: the recorder runs after each commit and before the response', () => {
  const files = tempDirectory();

  it('calls afterCommit (awaited) for each write before execute resolves, never for a read', async () => {
    const journal = path.join(files, 'journal.jsonl');
    const host = tempHost({ hosts: 1, recorder: journalModule(journal) });
    await host.create('hooked');
    const before = Date.now();
    await host.execute('hooked', {
      statements: [{ sql: 'CREATE TABLE t (v INTEGER)' }, { sql: 'INSERT INTO t VALUES (1)' }],
    });
    // The line is written 300 ms into afterCommit: it is there the moment execute resolves.
    let lines = readJournal(journal).filter((line) => line.hook === 'afterCommit');
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.commitTimeMs! >= before);
    assert.ok(lines[0]!.walBytes > 0, 'the recorder sees the committed frames in the WAL');

    await host.execute('hooked', { statements: [{ sql: 'INSERT INTO t VALUES (2)' }] });
    await host.execute('hooked', { statements: [{ sql: 'SELECT * FROM t' }] });
    lines = readJournal(journal).filter((line) => line.hook === 'afterCommit');
    assert.equal(lines.length, 2, 'a read commits nothing');
    assert.ok(lines[1]!.walBytes > lines[0]!.walBytes);

    await host.checkpoint('hooked');
    await host.copyCheckpointed('hooked', path.join(files, 'hooked-copy.sqlite'));
    const hooks = readJournal(journal).slice(-4);
    assert.deepEqual(
      hooks.map((line) => [line.hook, line.kept]),
      [
        ['beforeCheckpoint', undefined],
        ['afterCheckpoint', false],
        ['beforeCheckpoint', undefined],
        ['afterCheckpoint', true],
      ],
    );
    assert.equal(hooks[1]!.walBytes, 0, 'afterCheckpoint sees the emptied WAL');
  });

  it('a failing afterCommit fails the request (HISTORY_UNAVAILABLE) and the file is re-based before its next command', async () => {
    const journal = path.join(files, 'failing.jsonl');
    const marker = path.join(files, 'failing.marker');
    const reported: { databaseId: string; hook: string }[] = [];
    const host = tempHost({
      hosts: 1,
      recorder: journalModule(journal, { failOn: 'afterCommit', failWhile: marker, afterCommitDelayMs: 0 }),
      onRecorderError: (event) => reported.push(event),
    });
    await host.create('failing');
    await host.execute('failing', { statements: [{ sql: 'CREATE TABLE t (v INTEGER)' }] });
    fs.writeFileSync(marker, '');
    await assert.rejects(
      host.execute('failing', { statements: [{ sql: 'INSERT INTO t VALUES (1)' }] }),
      (error: DatabaseHostError) =>
        error.code === 'HISTORY_UNAVAILABLE' && error.details.hook === 'afterCommit',
    );
    // Still failing: the re-base runs, then the write's own recording fails again.
    await assert.rejects(
      host.execute('failing', { statements: [{ sql: 'INSERT INTO t VALUES (2)' }] }),
      (error: DatabaseHostError) => error.code === 'HISTORY_UNAVAILABLE',
    );
    fs.rmSync(marker);
    const before = readJournal(journal).length;
    await host.execute('failing', { statements: [{ sql: 'INSERT INTO t VALUES (3)' }] });
    // The unacknowledged commits did happen (they are on disk); the re-base closed the old
    // recorder and checkpointed the WAL before the new recorder saw its first commit.
    const { results } = await host.execute('failing', {
      statements: [{ sql: 'SELECT v FROM t ORDER BY v' }],
    });
    assert.deepEqual(results[0]!.rows, [[1], [2], [3]]);
    const lines = readJournal(journal).slice(before);
    assert.deepEqual(
      lines.map((line) => line.hook),
      ['close', 'afterCommit'],
    );
    assert.ok(lines[1]!.walBytes < 8192, 'the WAL was checkpointed by the re-base');
    assert.deepEqual(reported, []);
  });

  it('a failing seal stops the checkpoint (HISTORY_UNAVAILABLE); the WAL keeps its frames', async () => {
    const journal = path.join(files, 'seal.jsonl');
    const marker = path.join(files, 'seal.marker');
    const host = tempHost({
      hosts: 1,
      recorder: journalModule(journal, {
        failOn: 'beforeCheckpoint',
        failWhile: marker,
        afterCommitDelayMs: 0,
      }),
    });
    await host.create('seal');
    await host.execute('seal', { statements: [{ sql: 'CREATE TABLE t (v INTEGER)' }] });
    fs.writeFileSync(marker, '');
    await assert.rejects(
      host.checkpoint('seal'),
      (error: DatabaseHostError) => error.code === 'HISTORY_UNAVAILABLE',
    );
    assert.ok(fs.statSync(path.join(host.directory, 'seal.sqlite-wal')).size > 0);
    fs.rmSync(marker);
    await host.checkpoint('seal');
  });

  it('records point-in-time history through @trustplane/sqlite-history: a restore to T holds the commits up to T', async () => {
    const objectStore = {
      rootDir: path.join(files, 'objects'),
      signingSecret: 'test-signing-secret',
      publicBaseUrl: 'http://127.0.0.1:1',
      namespace: 'backlex',
    };
    const settings = { spoolRoot: path.join(files, 'history'), objectStore };
    const host = tempHost({ hosts: 1, recorder: historyRecorderModule(settings) });
    await host.create('pitr');
    await host.execute('pitr', { statements: [{ sql: 'CREATE TABLE t (v INTEGER)' }] });
    await host.execute('pitr', { statements: [{ sql: 'INSERT INTO t VALUES (1)' }] });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const between = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await host.execute('pitr', { statements: [{ sql: 'INSERT INTO t VALUES (2)' }] });
    await host.checkpoint('pitr');
    await host.execute('pitr', { statements: [{ sql: 'INSERT INTO t VALUES (3)' }] });

    const source = historySource(settings, 'pitr', createObjectStore(objectStore));
    const restoredPath = path.join(files, 'pitr-restored.sqlite');
    await restoreToTime(source, between, restoredPath);
    const restored = new Database(restoredPath);
    assert.deepEqual(restored.prepare('SELECT v FROM t ORDER BY v').raw(true).all([]), [[1]]);
    restored.close();

    const latestPath = path.join(files, 'pitr-latest.sqlite');
    await restoreToTime(source, Date.now(), latestPath);
    const latest = new Database(latestPath);
    assert.deepEqual(latest.prepare('SELECT v FROM t ORDER BY v').raw(true).all([]), [[1], [2], [3]]);
    latest.close();
  });

  it('a clone checkpoints the source only when its WAL holds frames (no recorder wake-up otherwise)', async () => {
    const journal = path.join(files, 'clone-journal.jsonl');
    const host = tempHost({ hosts: 1, recorder: journalModule(journal, { afterCommitDelayMs: 0 }) });
    await host.create('source');
    await host.execute('source', {
      statements: [{ sql: 'CREATE TABLE t (v INTEGER)' }, { sql: 'INSERT INTO t VALUES (1)' }],
    });
    const checkpoints = () => readJournal(journal).filter((line) => line.hook === 'beforeCheckpoint').length;
    // Frames in the WAL: checkpointed first, so the clone (the file alone) has the commit.
    await host.clone('source', 'first');
    assert.equal(checkpoints(), 1);
    const first = await host.execute('first', { statements: [{ sql: 'SELECT v FROM t' }] });
    assert.deepEqual(first.results[0]!.rows, [[1]]);
    // The WAL is empty now: the second clone copies the file without a checkpoint.
    await host.clone('source', 'second');
    assert.equal(checkpoints(), 1);
    const second = await host.execute('second', { statements: [{ sql: 'SELECT v FROM t' }] });
    assert.deepEqual(second.results[0]!.rows, [[1]]);
    await host.close();
  });
});
