// A job worker in its own process, for the liveness test: it takes the job, says so, and hangs
// until the test kills it with SIGKILL.
import pino from 'pino';
import { JobQueue } from '../../src/jobs/job-queue.js';
import { livenessJob } from './liveness-job.js';

const queue = new JobQueue({
  databaseUrl: process.env.DATABASE_URL as string,
  logger: pino({ level: 'silent' }),
  supervise: false,
});
const job = livenessJob(async (context) => {
  process.stdout.write(`started ${context.id} ${context.workerId}\n`);
  await new Promise(() => undefined);
});
queue.define(job);
await queue.work([job]);
process.stdout.write(`ready ${queue.workerId}\n`);
