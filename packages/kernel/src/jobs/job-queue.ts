import { CompiledQuery } from 'kysely';
import pg from 'pg';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import { type KyselyExecutor, runSql, type SqlExecutor } from '../db/sql-executor.js';

/** Channel on which a committed job wakes the workers of its queue in every process. */
export const JOBS_CHANNEL = 'platform_jobs';

/** PostgreSQL's SQLSTATE for a transaction chosen as a deadlock victim. */
const DEADLOCK_DETECTED = '40P01';

export interface JobContext {
  id: string;
  /** How many times this job was tried before this run (0 on the first). */
  retryCount: number;
  /** When the job was created. */
  createdOn?: Date;
  logger: Logger;
}

/**
 * One background job: its queue, retry policy and handler. A job whose retries are
 * exhausted lands in `<queue>.dead` for inspection, never silently dropped.
 */
export interface JobDefinition<T extends object = object> {
  queue: string;
  retryLimit?: number;
  /** Seconds before the first retry; doubled each time when `retryBackoff`. */
  retryDelay?: number;
  retryBackoff?: boolean;
  /** A run taking longer than this is considered crashed and retried. */
  expireInSeconds?: number;
  /** How many jobs of this queue one process runs at the same time. */
  concurrency?: number;
  /**
   * Jobs one worker loop fetches at once and runs side by side (default 1): fewer fetch and
   * completion round trips for short jobs. A job that fails is failed alone.
   */
  batchSize?: number;
  pollingIntervalSeconds?: number;
  handle(data: T, context: JobContext): Promise<void>;
}

export interface SendOptions {
  /** Enqueue inside the caller's transaction: the job exists iff the transaction commits. */
  transaction?: KyselyExecutor;
  singletonKey?: string;
  startAfter?: Date | number;
  priority?: number;
  id?: string;
}

export function transactionExecutor(transaction: KyselyExecutor): PgBoss.Db {
  return {
    async executeSql(text, values) {
      const result = await transaction.executeQuery(CompiledQuery.raw(text, values));
      return { rows: result.rows as unknown[] as never[] };
    },
  };
}

export interface JobQueueOptions {
  databaseUrl: string;
  logger: Logger;
  /** Maintenance and scheduling run in exactly the processes that ask for them. */
  supervise?: boolean;
  /**
   * How often maintenance runs (seconds): among other things it fails the active jobs past their
   * `expireInSeconds` (a crashed worker's), so they are retried. pg-boss's default is 120.
   */
  maintenanceIntervalSeconds?: number;
}

/** pg-boss on the platform database: durable queues, retries, dead letters, workers. */
export class JobQueue {
  readonly boss: PgBoss;
  private readonly definitions = new Map<string, JobDefinition<never>>();
  private readonly workerIds = new Map<string, string[]>();
  private listener: pg.Client | undefined;
  private listenerRetry: NodeJS.Timeout | undefined;
  private readonly ensuring = new Map<string, Promise<void>>();
  private started: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: JobQueueOptions) {
    this.boss = new PgBoss({
      connectionString: options.databaseUrl,
      schema: 'pgboss',
      application_name: 'trustplane-jobs',
      // Every worker loop fetches and completes through this pool.
      max: 10,
      supervise: options.supervise ?? true,
      schedule: options.supervise ?? true,
      ...(options.maintenanceIntervalSeconds
        ? { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds }
        : {}),
    });
    this.boss.on('error', (error) => options.logger.error({ err: error }, 'job queue error'));
  }

  start(): Promise<void> {
    this.started ??= this.boss.start().then(() => undefined);
    return this.started;
  }

  define<T extends object>(definition: JobDefinition<T>): JobDefinition<T> {
    this.definitions.set(definition.queue, definition as JobDefinition<never>);
    return definition;
  }

  definition(queue: string): JobDefinition<never> | undefined {
    return this.definitions.get(queue);
  }

  /**
   * Creates the queue and its dead-letter queue once per process (idempotent in pg-boss too).
   * Concurrent first sends in a process share one creation; creations racing in other processes
   * can deadlock in pg-boss (each creates and attaches a partition of its job table), so a
   * deadlock is retried: by then the other process's queue exists.
   */
  ensureQueue(queue: string): Promise<void> {
    let ensuring = this.ensuring.get(queue);
    if (!ensuring) {
      ensuring = this.createQueue(queue).catch((error: unknown) => {
        this.ensuring.delete(queue);
        throw error;
      });
      this.ensuring.set(queue, ensuring);
    }
    return ensuring;
  }

  private async createQueue(queue: string): Promise<void> {
    await this.start();
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.createQueueOnce(queue);
        return;
      } catch (error) {
        if ((error as { code?: unknown }).code !== DEADLOCK_DETECTED || attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80 * attempt));
      }
    }
  }

  private async createQueueOnce(queue: string): Promise<void> {
    const definition = this.definitions.get(queue);
    const deadLetter = `${queue}.dead`;
    const existing = await this.boss.getQueue(queue);
    if (!(await this.boss.getQueue(deadLetter))) await this.boss.createQueue(deadLetter);
    const policy = {
      name: queue,
      deadLetter,
      retryLimit: definition?.retryLimit ?? 5,
      retryDelay: definition?.retryDelay ?? 5,
      retryBackoff: definition?.retryBackoff ?? true,
      expireInSeconds: definition?.expireInSeconds ?? 900,
    };
    if (existing) await this.boss.updateQueue(queue, policy);
    else await this.boss.createQueue(queue, policy);
  }

  async send<T extends object>(queue: string, data: T, options: SendOptions = {}): Promise<string | null> {
    await this.ensureQueue(queue);
    const { transaction, ...jobOptions } = options;
    return this.boss.send(queue, data, {
      ...jobOptions,
      ...(transaction ? { db: transactionExecutor(transaction) } : {}),
    });
  }

  /** Starts workers for the given queues (all defined ones when omitted). */
  async work(queues: string[] = [...this.definitions.keys()]): Promise<void> {
    await this.listen();
    for (const queue of queues) {
      const definition = this.definitions.get(queue);
      if (!definition) throw new Error(`no job defined for queue ${queue}`);
      await this.ensureQueue(queue);
      const workers = definition.concurrency ?? 1;
      for (let index = 0; index < workers; index += 1) {
        let workerId: string | undefined;
        workerId = await this.boss.work<object>(
          queue,
          {
            batchSize: definition.batchSize ?? 1,
            includeMetadata: true,
            pollingIntervalSeconds: definition.pollingIntervalSeconds ?? 1,
          },
          async (jobs) => {
            const run = (job: PgBoss.JobWithMetadata<object>) =>
              definition.handle(job.data as never, {
                id: job.id,
                retryCount: job.retryCount,
                createdOn: job.createdOn,
                logger: this.options.logger.child({ queue, jobId: job.id }),
              });
            try {
              if (jobs.length === 1) {
                await run(jobs[0]!);
                return;
              }
              // pg-boss completes the batch when this resolves; failures are failed one by one first.
              const results = await Promise.allSettled(jobs.map(run));
              for (const [index, result] of results.entries()) {
                if (result.status === 'fulfilled') continue;
                const reason = result.reason as Error;
                await this.boss.fail(queue, jobs[index]!.id, {
                  message: reason?.message ?? String(reason),
                  stack: reason?.stack,
                });
              }
            } finally {
              // pg-boss waits out the poll interval after each job; a worker that found one looks
              // for the next at once, so a backlog drains at the handlers' pace.
              if (workerId) this.boss.notifyWorker(workerId);
            }
          },
        );
        this.workerIds.set(queue, [...(this.workerIds.get(queue) ?? []), workerId]);
      }
    }
  }

  /** Stops this process's workers of `queue` (jobs in flight finish). */
  async stopWorking(queue: string): Promise<void> {
    this.workerIds.delete(queue);
    if (!this.started || this.stopped) return;
    await this.boss.offWork(queue);
  }

  /**
   * Wakes the workers of `queue` in every process when the caller's transaction commits, instead
   * of at their next poll: call it through the executor that inserted the jobs.
   */
  async announce(executor: SqlExecutor, queue: string): Promise<void> {
    await runSql(executor, 'SELECT pg_notify($1, $2)', [JOBS_CHANNEL, queue]);
  }

  /** Wakes this process's idle workers of `queue`. */
  nudge(queue: string): void {
    for (const id of this.workerIds.get(queue) ?? []) this.boss.notifyWorker(id);
  }

  /** LISTENs for announced queues; polling still works without it (a lost connection is retried). */
  private async listen(): Promise<void> {
    if (this.listener || this.stopped) return;
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: 'trustplane-jobs-listen',
    });
    const retry = () => {
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => undefined);
      if (this.stopped || this.listenerRetry) return;
      this.listenerRetry = setTimeout(() => {
        this.listenerRetry = undefined;
        void this.listen();
      }, 5000);
      this.listenerRetry.unref();
    };
    client.on('error', (error) => {
      this.options.logger.warn({ err: error }, 'job wake-up listener lost; polling until it is back');
      retry();
    });
    client.on('notification', (message) => {
      if (message.channel === JOBS_CHANNEL && message.payload) this.nudge(message.payload);
    });
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${JOBS_CHANNEL}`);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'job wake-up listener unavailable; polling only');
      retry();
    }
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.stopped || !this.started) return;
    this.stopped = true;
    clearTimeout(this.listenerRetry);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.boss.stop({ graceful: true, timeout: timeoutMs, wait: true });
  }
}
