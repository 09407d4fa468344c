import type { Logger } from 'pino';
import { z } from 'zod';

/** How a job that throws (or times out, or loses its worker) is tried again. */
export interface JobRetryPolicy {
  /** Retries after the first run; 0 runs it once. */
  limit: number;
  /** Seconds before the first retry (pg-boss needs at least 1 with backoff). */
  delaySeconds: number;
  /** Doubles the delay at each retry, with jitter. */
  backoff: boolean;
}

export const DEFAULT_RETRY: JobRetryPolicy = { limit: 5, delaySeconds: 5, backoff: true };

export interface JobContext {
  id: string;
  /** The job's name (its queue). */
  name: string;
  /** How many times this job was tried before this run (0 on the first). */
  retryCount: number;
  /** No retry follows this run if it fails: the next stop is the dead letter. */
  lastAttempt: boolean;
  /** When the job was created. */
  createdOn?: Date;
  logger: Logger;
  /**
   * Aborted when the run reaches its `timeoutSeconds`, with a `JobTimeoutError` as reason. A
   * handler that records its own outcome for a timeout has a short grace period to do so before
   * the run is failed; `untilAborted(work, signal)` races work against it.
   */
  signal: AbortSignal;
  /** This process's worker id (the one its liveness heartbeat carries). */
  workerId: string;
}

export interface DeadLetterContext {
  id: string;
  name: string;
  logger: Logger;
  /** Why the job gave up (its last error), when known. */
  reason: string | undefined;
}

/**
 * One kind of background job, declared once in a job module: name, versioned payload, schedule,
 * dedupe, retries, dead letter, timeout and worker liveness, next to its handler. Register it with
 * `context.jobs.define(job)` in the service's `defineJobs` (every process that may send it), send
 * it with `context.jobs.send(job, payload, { transaction })`, and run it with
 * `context.jobs.work([job])` in the service's `startWorkers` (which also installs its schedule).
 */
export interface JobDefinition<P extends object = object> {
  /** Queue name, `<service>.<job>`. */
  name: string;
  /**
   * Version of the payload shape. Jobs are stored as `{ version, ...payload }`; a worker runs only
   * its own version: an older or invalid payload goes straight to the dead letter, a newer one is
   * retried (a newer worker may take it during a rolling upgrade). Bump it when the shape changes.
   */
  version: number;
  /** Checked when a job is sent and again when it runs (an object schema, without `version`). */
  payload: z.ZodType<P>;
  /** Cron (UTC unless `tz`) on which the job is sent with `payload`; installed by `work`. */
  schedule?: { cron: string; payload: P; tz?: string };
  /**
   * At most one job per key: while one `queued` (pg-boss `short` policy) or one queued and one
   * running (`stately`). A send that would duplicate one returns null. The policy of a queue is
   * fixed when it is first created.
   */
  dedupe?: { key(payload: P): string; while: 'queued' | 'queued-or-running' };
  retry?: Partial<JobRetryPolicy>;
  /** Longest run; `context.signal` aborts then and the run fails shortly after (then retried). */
  timeoutSeconds: number;
  /**
   * Worker liveness: each process working this queue beats every `heartbeatSeconds`; the runs of a
   * worker silent for three beats (killed, frozen) are failed by a live worker, so they are retried
   * (then dead-lettered) without waiting for `timeoutSeconds`.
   */
  liveness?: { heartbeatSeconds: number };
  /** Worker loops per process (jobs of this queue running at once). Default 1. */
  concurrency?: number;
  /** Jobs one loop fetches at once and runs side by side (short jobs); each fails alone. Default 1. */
  batchSize?: number;
  /**
   * The queue may hold thousands of waiting jobs at once (a bulk send): its fetch order gets an
   * index and, while workers find full batches, its planner statistics are kept fresh, so that a
   * fetch reads the next jobs instead of sorting the whole backlog.
   */
  largeBacklog?: boolean;
  /** How often an idle loop looks for work when no notification wakes it (≥ 0.5). Default 1 s. */
  pollingIntervalSeconds?: number;
  handle(payload: P, context: JobContext): Promise<void>;
  /**
   * Runs once for a job that gave up (retries exhausted, invalid payload): record the failure
   * where users see it. Without it, the job waits in `<name>.dead` for inspection.
   */
  deadLetter?(payload: P, context: DeadLetterContext): Promise<void>;
}

/** Anything `define` stored: the payload type is known only to the job module. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds jobs of every payload type.
export type AnyJobDefinition = JobDefinition<any>;

const JOB_NAME = /^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/;

/** Checks and returns the declaration (a typo fails at start, not at the first job). */
export function defineJob<P extends object>(definition: JobDefinition<P>): JobDefinition<P> {
  if (!JOB_NAME.test(definition.name) || definition.name.endsWith('.dead'))
    throw new Error(`job name must look like <service>.<job>: ${definition.name}`);
  if (!Number.isInteger(definition.version) || definition.version < 1)
    throw new Error(`job ${definition.name}: version must be a positive integer`);
  if (!(definition.timeoutSeconds > 0)) throw new Error(`job ${definition.name}: timeoutSeconds must be > 0`);
  const heartbeat = definition.liveness?.heartbeatSeconds;
  if (heartbeat !== undefined && !(heartbeat >= 1))
    throw new Error(`job ${definition.name}: liveness.heartbeatSeconds must be ≥ 1`);
  if (definition.pollingIntervalSeconds !== undefined && definition.pollingIntervalSeconds < 0.5)
    throw new Error(`job ${definition.name}: pollingIntervalSeconds must be ≥ 0.5 (pg-boss)`);
  if (definition.schedule) definition.payload.parse(definition.schedule.payload);
  return definition;
}

const NO_PAYLOAD = z.object({});
type NoPayload = z.infer<typeof NO_PAYLOAD>;

/** What a scheduled job declares beyond `defineJob`'s: its cron instead of a payload. */
export type ScheduledJobDefinition = Omit<
  JobDefinition<NoPayload>,
  'version' | 'payload' | 'schedule' | 'handle'
> & {
  /** Cron (UTC unless `tz`) on which the job runs. */
  cron: string;
  tz?: string;
  /** The work; what it returns (counts of what it did) is logged at info with `done`. */
  run(context: JobContext): Promise<Record<string, unknown> | undefined>;
  /** The log message of a finished run; none: nothing is logged. */
  done?: string;
};

/**
 * A recurring job without a payload (a prune, a sweep), declared once: sent on `cron`, retried
 * per `retry` (the next scheduled run catches up anyway), its result logged.
 */
export function defineScheduledJob(definition: ScheduledJobDefinition) {
  const { cron, tz, run, done, ...rest } = definition;
  return defineJob<NoPayload>({
    ...rest,
    version: 1,
    payload: NO_PAYLOAD,
    schedule: { cron, payload: {}, ...(tz ? { tz } : {}) },
    async handle(_payload, job) {
      const result = await run(job);
      if (done) job.logger.info(result ?? {}, done);
    },
  });
}

/** The run passed its `timeoutSeconds`. */
export class JobTimeoutError extends Error {
  override readonly name = 'JobTimeoutError';
  constructor(readonly seconds: number) {
    super(`processing exceeded ${seconds} s`);
  }
}

/** Rejects with the signal's reason as soon as it aborts; otherwise settles like `work`. */
export async function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw signal.reason;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

export function retryPolicy(definition: AnyJobDefinition | undefined): JobRetryPolicy {
  return { ...DEFAULT_RETRY, ...definition?.retry };
}
