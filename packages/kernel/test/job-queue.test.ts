import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { z } from 'zod';
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
