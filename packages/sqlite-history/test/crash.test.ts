import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nodeScriptArgs } from '@trustplane/kernel/testkit';
import { HistoryRecorder, restoreToTime } from '../src/index.js';
import { contentOf, contentOfFile, createStore, openDatabase } from './support/history-database.js';

const writerScript = fileURLToPath(new URL('./support/writer-process.ts', import.meta.url));

let workDir: string;
before(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-crash-'));
});
after(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
});

function idsOf(file: string): number[] {
  return (JSON.parse(contentOfFile(file)) as [number, string][]).map(([id]) => id);
}

/** Runs the writer until it has acknowledged `atLeast` commits, then SIGKILLs it mid-load. */
async function runAndKill(databasePath: string, spoolDir: string, objectsDir: string, atLeast: number) {
  const child = spawn(
    process.execPath,
    [...nodeScriptArgs(writerScript), databasePath, spoolDir, objectsDir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const acks: { id: number; timeMs: number }[] = [];
  let buffered = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const [, id, timeMs] = line.split(' ');
      acks.push({ id: Number(id), timeMs: Number(timeMs) });
      // Killed while it keeps writing: no pause, so the kill lands inside a commit, a spool append
      // or a checkpoint's base copy and upload.
      if (acks.length === atLeast) child.kill('SIGKILL');
    }
  });
  assert.equal(await exited, 'SIGKILL');
  return acks;
}

test('the writer killed mid-load: every acknowledged commit is restorable, and the history continues after recovery', async () => {
  const databasePath = path.join(workDir, 'live.db');
  const spoolDir = path.join(workDir, 'spool');
  const objectsDir = path.join(workDir, 'objects');
  const source = { spoolDir, store: createStore(objectsDir), keyPrefix: 'history/crash' };
  const restored = path.join(workDir, 'restored.db');

  const firstRun = await runAndKill(databasePath, spoolDir, objectsDir, 150);
  const lastAck = firstRun.at(-1)!;
  // Straight after the crash, before anything recovers: the spool as the kill left it.
  await restoreToTime(source, Date.now(), restored);
  const ids = idsOf(restored);
  for (let id = 1; id <= lastAck.id; id++)
    assert.ok(ids.includes(id), `acknowledged commit ${id} is restorable`);
  // Each acknowledged commit, restored at its own time, holds it and everything before it.
  for (const ack of firstRun.filter((_, index) => index % 25 === 0)) {
    await restoreToTime(source, ack.timeMs, restored);
    const at = idsOf(restored);
    assert.ok(at.length >= ack.id && at.slice(0, ack.id).every((id, index) => id === index + 1));
  }

  // A second run recovers the same files (torn spool tail cut, unspooled commits spooled) and goes on.
  const secondRun = await runAndKill(databasePath, spoolDir, objectsDir, 120);
  assert.ok(secondRun[0]!.id > lastAck.id);
  await restoreToTime(source, Date.now(), restored);
  const all = idsOf(restored);
  for (let id = 1; id <= secondRun.at(-1)!.id; id++) assert.ok(all.includes(id), `commit ${id} restorable`);

  // Recovered by the owner: the history then matches the live file exactly.
  const db = openDatabase(databasePath);
  const recorder = HistoryRecorder.open({ ...source, databasePath });
  await restoreToTime(source, Date.now(), restored);
  assert.equal(contentOfFile(restored), contentOf(db));
  db.close();
  await recorder.close();
});
