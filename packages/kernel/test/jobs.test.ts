import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { z } from 'zod';
import { migrate } from '../src/db/migrate.js';
import { defineJob, defineScheduledJob, JobQueue, JobTimeoutError } from '../src/jobs/job-queue.js';
import { captureLogs } from '../src/testkit/captured-logs.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';
import { nodeScriptArgs } from '../src/testkit/node-script.js';
import { livenessJob } from './support/liveness-job.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
const migrations = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'migrations');
const WORKER = fileURLToPath(new URL('./support/job-worker-process.ts', import.meta.url));

async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('jobs', () => {
  let database: TestDatabase;
  const queues: JobQueue[] = [];
  const children: ChildProcess[] = [];

  function newQueue(): JobQueue {
    const queue = new JobQueue({ databaseUrl: database.url, logger, maintenanceIntervalSeconds: 1 });
    queues.push(queue);
    return queue;
  }

  async function jobRow(queue: JobQueue, id: string) {
    const { rows } = await queue.boss
      .getDb()
      .executeSql('SELECT state, data, retry_count FROM pgboss.job WHERE id = $1', [id]);
    return rows[0] as { state: string; data: Record<string, unknown>; retry_count: number } | undefined;
  }

  before(async () => {
    database = await createTestDatabase('jobs');
    await migrate(database.url, 'platform', migrations);
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const queue of queues) await queue.stop(2000).catch(() => undefined);
    await database?.drop();
  });

  test('a payload is checked when sent, stored with its version, and handed over without it', async () => {
    const queue = newQueue();
    const received: unknown[] = [];
    const job = defineJob({
      name: 'test.echo',
      version: 2,
      payload: z.object({ n: z.number() }),
      timeoutSeconds: 10,
      pollingIntervalSeconds: 0.5,
      handle: async (payload) => void received.push(payload),
    });
    queue.define(job);
    await assert.rejects(queue.send(job, { n: 'one' } as never));
    const id = await queue.send(job, { n: 1 });
    assert.ok(id);
    assert.deepEqual((await jobRow(queue, id))?.data, { n: 1, version: 2 });
    await queue.work([job]);
    await eventually(() => received.length === 1, 'the job to run');
    assert.deepEqual(received, [{ n: 1 }]);
  });

  test('an older or invalid payload goes to the dead letter at once; a newer one waits for a newer worker', async () => {
    const queue = newQueue();
    const handled: unknown[] = [];
    const dead: { payload: unknown; reason: string | undefined }[] = [];
    const job = defineJob({
      name: 'test.versioned',
      version: 2,
      payload: z.object({ n: z.number() }),
      timeoutSeconds: 10,
      pollingIntervalSeconds: 0.5,
      handle: async (payload) => void handled.push(payload),
      deadLetter: async (payload, context) => void dead.push({ payload, reason: context.reason }),
    });
    queue.define(job);
    await queue.ensureQueue(job.name);
    const older = await queue.boss.send(job.name, { version: 1, n: 1 });
    const newer = await queue.boss.send(job.name, { version: 3, n: 3 });
    await queue.work([job]);
    await eventually(
      async () => (await jobRow(queue, newer as string))?.state === 'retry',
      'the newer job to be failed for a retry',
    );
    const rows = await eventually(async () => {
      const result = await queue.boss
        .getDb()
        .executeSql(`SELECT data FROM pgboss.job WHERE name = 'test.versioned.dead'`, []);
      return result.rows.length > 0 ? result.rows : undefined;
    }, 'the dead letter');
    assert.deepEqual(
      rows.map((row: { data: unknown }) => row.data),
      [{ version: 1, n: 1 }],
    );
    assert.equal((await jobRow(queue, older as string))?.state, 'completed');
    assert.deepEqual(handled, []);
    // The dead-lettered payload is not this worker's version either: kept for inspection, not handled.
    assert.deepEqual(dead, []);
  });

  test('a failing job is retried, then its dead-letter handler runs once with the last error', async () => {
    const queue = newQueue();
    const attempts: number[] = [];
    const dead: { payload: unknown; reason: string | undefined }[] = [];
    const job = defineJob({
      name: 'test.failing',
      version: 1,
      payload: z.object({ order: z.string() }),
      retry: { limit: 2, delaySeconds: 1, backoff: true },
      timeoutSeconds: 10,
      pollingIntervalSeconds: 0.5,
      handle: async (_payload, context) => {
        attempts.push(context.retryCount);
        throw new Error(`boom ${context.retryCount}${context.lastAttempt ? ' (last)' : ''}`);
      },
      deadLetter: async (payload, context) => void dead.push({ payload, reason: context.reason }),
    });
    queue.define(job);
    const id = (await queue.send(job, { order: 'o-1' })) as string;
    // The declared policy is the job's own: pg-boss doubles the delay (with jitter) at each retry.
    const { rows } = await queue.boss
      .getDb()
      .executeSql('SELECT retry_limit, retry_delay, retry_backoff FROM pgboss.job WHERE id = $1', [id]);
    assert.deepEqual(rows[0], { retry_limit: 2, retry_delay: 1, retry_backoff: true });
    await queue.work([job]);
    await eventually(() => dead.length === 1, 'the dead-letter handler', 60_000);
    assert.deepEqual(attempts, [0, 1, 2]);
    assert.deepEqual(dead, [{ payload: { order: 'o-1' }, reason: 'boom 2 (last)' }]);
  });

  test('a run past its timeout sees its signal abort; one that ignores it is failed and retried', async () => {
    const queue = newQueue();
    const runs: { retryCount: number; aborted?: unknown }[] = [];
    const job = defineJob({
      name: 'test.slow',
      version: 1,
      payload: z.object({}),
      retry: { limit: 1, delaySeconds: 1, backoff: false },
      timeoutSeconds: 1,
      pollingIntervalSeconds: 0.5,
      handle: async (_payload, context) => {
        const run: { retryCount: number; aborted?: unknown } = { retryCount: context.retryCount };
        runs.push(run);
        if (context.retryCount > 0) return;
        context.signal.addEventListener('abort', () => {
          run.aborted = context.signal.reason;
        });
        await new Promise(() => undefined); // ignores its signal: the kernel fails it anyway
      },
    });
    queue.define(job);
    const id = (await queue.send(job, {})) as string;
    await queue.work([job]);
    await eventually(
      async () => (await jobRow(queue, id))?.state === 'completed',
      'the retry to complete',
      60_000,
    );
    assert.equal(runs.length, 2);
    assert.ok(runs[0]?.aborted instanceof JobTimeoutError);
    assert.equal(runs[1]?.retryCount, 1);
  });

  test('dedupe: a job with the key of one still queued is not sent again', async () => {
    const queue = newQueue();
    const job = defineJob({
      name: 'test.deduped',
      version: 1,
      payload: z.object({ asset: z.string() }),
      dedupe: { key: (payload) => payload.asset, while: 'queued' },
      timeoutSeconds: 10,
      handle: async () => undefined,
    });
    queue.define(job);
    assert.ok(await queue.send(job, { asset: 'a' }));
    assert.equal(await queue.send(job, { asset: 'a' }), null);
    assert.ok(await queue.send(job, { asset: 'b' }));
  });

  test('dedupe while queued or running: one may wait while one runs, a third is refused', async () => {
    const queue = newQueue();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const started: string[] = [];
    const job = defineJob({
      name: 'test.stately',
      version: 1,
      payload: z.object({ asset: z.string() }),
      dedupe: { key: (payload) => payload.asset, while: 'queued-or-running' },
      timeoutSeconds: 30,
      pollingIntervalSeconds: 0.5,
      handle: async (_payload, context) => {
        started.push(context.id);
        await released;
      },
    });
    queue.define(job);
    const first = await queue.send(job, { asset: 'a' });
    assert.ok(first);
    await queue.work([job]);
    await eventually(() => started.length === 1, 'the first run');
    const second = await queue.send(job, { asset: 'a' });
    assert.ok(second, 'one may wait while one runs');
    assert.equal(await queue.send(job, { asset: 'a' }), null);
    release();
    await eventually(async () => (await jobRow(queue, second))?.state === 'completed', 'the second run');
    assert.deepEqual(started, [first, second]);
  });

  test('work installs the schedule, with the versioned payload', async () => {
    const queue = newQueue();
    const job = defineJob({
      name: 'test.scheduled',
      version: 1,
      payload: z.object({ scope: z.string() }),
      schedule: { cron: '*/5 * * * *', payload: { scope: 'all' } },
      timeoutSeconds: 10,
      handle: async () => undefined,
    });
    assert.throws(() => defineJob({ ...job, schedule: { cron: '* * * * *', payload: {} as never } }));
    await queue.work([job]);
    const schedules = await queue.boss.getSchedules();
    const schedule = schedules.find((entry: { name: string }) => entry.name === 'test.scheduled');
    assert.equal(schedule?.cron, '*/5 * * * *');
    assert.deepEqual(schedule?.data, { scope: 'all', version: 1 });
  });

  test('a scheduled job without a payload: installed on its cron, the result of each run logged with its message', async () => {
    const { logger: captured, lines } = captureLogs();
    const queue = new JobQueue({
      databaseUrl: database.url,
      logger: captured,
      maintenanceIntervalSeconds: 1,
    });
    queues.push(queue);
    let runs = 0;
    const job = defineScheduledJob({
      name: 'test.prune',
      cron: '17 * * * *',
      retry: { limit: 3, delaySeconds: 30, backoff: true },
      timeoutSeconds: 10,
      run: async () => {
        runs += 1;
        return { deleted: { sessions: 4 } };
      },
      done: 'test prune done',
    });
    await queue.work([job]);
    const schedule = (await queue.boss.getSchedules()).find(
      (entry: { name: string }) => entry.name === 'test.prune',
    );
    assert.equal(schedule?.cron, '17 * * * *');
    assert.deepEqual(schedule?.data, { version: 1 });
    await queue.runNow(job, {});
    assert.equal(runs, 1);
    const done = lines.find((line) => line.msg === 'test prune done');
    assert.deepEqual(done?.deleted, { sessions: 4 });
    assert.equal(done?.queue, 'test.prune');
  });

  test('a worker killed mid-job: a live worker hands its run back at once, long before the expiry', async () => {
    const child = spawn(process.execPath, nodeScriptArgs(WORKER), {
      env: { ...process.env, DATABASE_URL: database.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
    await eventually(() => lines.some((line) => line.startsWith('ready')), 'the worker process', 60_000);
    const queue = newQueue();
    const runs: { id: string; retryCount: number; workerId: string }[] = [];
    const job = livenessJob(async (context) => {
      runs.push({ id: context.id, retryCount: context.retryCount, workerId: context.workerId });
    });
    queue.define(job);
    const id = (await queue.send(job, {})) as string;
    const started = await eventually(() => lines.find((line) => line.startsWith(`started ${id}`)), 'the run');
    assert.equal(await queue.liveWorkers(job.name), 1, 'the worker process beats');
    const killed = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await killed;

    await queue.work([job]);
    await eventually(() => runs.length === 1, 'the run handed back to the live worker', 60_000);
    assert.deepEqual(runs, [{ id, retryCount: 1, workerId: queue.workerId }]);
    assert.notEqual(started.split(' ')[2], queue.workerId);
    assert.equal((await jobRow(queue, id))?.state, 'completed');
    assert.equal(await queue.liveWorkers(job.name), 1, 'only the live worker counts');
  });

  test('runNow runs a job here, under its timeout', async () => {
    const queue = newQueue();
    let seen: unknown;
    const job = defineJob({
      name: 'test.on-demand',
      version: 1,
      payload: z.object({ x: z.number() }),
      timeoutSeconds: 10,
      handle: async (payload) => {
        seen = payload;
      },
    });
    await queue.runNow(job, { x: 7 });
    assert.deepEqual(seen, { x: 7 });
    await assert.rejects(queue.runNow(job, { x: 'no' } as never));
  });
});
