import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { z } from 'zod';
import { createDatabase } from '../src/db/database.js';
import { defineJob, JobQueue } from '../src/jobs/job-queue.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/database.js';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

let database: TestDatabase;
const queues: JobQueue[] = [];

function jobQueue(): JobQueue {
  const jobs = new JobQueue({ databaseUrl: database.url, logger, supervise: false });
  queues.push(jobs);
  return jobs;
}

const firstSend = defineJob({
  name: 'test.first-send',
  version: 1,
  payload: z.object({ index: z.number() }),
  retry: { limit: 3 },
  timeoutSeconds: 60,
  async handle() {},
});
const racing = defineJob({
  name: 'test.racing',
  version: 1,
  payload: z.object({ index: z.number() }),
  timeoutSeconds: 60,
  async handle() {},
});

before(async () => {
  database = await createTestDatabase('job_queue');
});
after(async () => {
  for (const jobs of queues) await jobs.stop();
  await database.drop();
});

describe('queue creation on first send', () => {
  test('concurrent first sends in one process all enqueue (one creation, no deadlock)', async () => {
    const jobs = jobQueue();
    jobs.define(firstSend);
    const ids = await Promise.all(Array.from({ length: 10 }, (_, index) => jobs.send(firstSend, { index })));
    assert.equal(new Set(ids.filter(Boolean)).size, 10);
    const queue = await jobs.boss.getQueue('test.first-send');
    assert.equal(queue?.retryLimit, 3);
    assert.equal(queue?.deadLetter, 'test.first-send.dead');
  });

  test('processes creating the same queues at the same moment all enqueue', async () => {
    const processes = Array.from({ length: 3 }, () => jobQueue());
    for (const jobs of processes) jobs.define(racing);
    await Promise.all(processes.map((jobs) => jobs.start()));
    const ids = await Promise.all(
      processes.flatMap((jobs) => Array.from({ length: 4 }, (_, index) => jobs.send(racing, { index }))),
    );
    assert.equal(new Set(ids.filter(Boolean)).size, 12);
  });
});

const waiting = defineJob({
  name: 'test.waiting',
  version: 1,
  payload: z.object({ index: z.number() }),
  timeoutSeconds: 60,
  async handle() {},
});

describe('counts and removal of waiting jobs', () => {
  test('counts are per state; removeWaiting deletes only what is waiting, in the caller transaction', async () => {
    const jobs = jobQueue();
    jobs.define(waiting);
    const ids = await jobs.sendMany(
      waiting,
      [0, 1, 2].map((index) => ({ payload: { index } })),
    );
    assert.deepEqual(await jobs.counts(waiting.name), { waiting: 3, active: 0 });
    const [taken] = await jobs.boss.fetch(waiting.name, { batchSize: 1 });
    assert.ok(taken);
    const pool = createDatabase<Record<string, never>>({ url: database.url, schema: 'public' });
    try {
      assert.deepEqual(await jobs.counts(waiting.name, { executor: pool.kysely }), {
        waiting: 2,
        active: 1,
      });
      // Rolled back: nothing is removed.
      await assert.rejects(
        pool.transaction(async (trx) => {
          assert.equal((await jobs.removeWaiting(waiting.name, { transaction: trx })).length, 2);
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.deepEqual(await jobs.counts(waiting.name), { waiting: 2, active: 1 });
      const removed = await pool.transaction((trx) => jobs.removeWaiting(waiting.name, { transaction: trx }));
      assert.deepEqual(removed.map((job) => job.id).sort(), ids.filter((id) => id !== taken.id).sort());
      assert.deepEqual(
        removed.map((job) => job.data?.index).sort(),
        [0, 1, 2].filter((index) => ids[index] !== taken.id),
      );
      // The running job stays.
      assert.deepEqual(await jobs.counts(waiting.name), { waiting: 0, active: 1 });
    } finally {
      await pool.close();
    }
  });
});
