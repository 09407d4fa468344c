import { CompiledQuery } from 'kysely';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { KyselyExecutor } from '../db/sql-executor.js';

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
  private readonly created = new Set<string>();
  private started: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: JobQueueOptions) {
    this.boss = new PgBoss({
      connectionString: options.databaseUrl,
      schema: 'pgboss',
      application_name: 'trustplane-jobs',
      max: 5,
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

  /** Creates the queue and its dead-letter queue once per process (idempotent in pg-boss too). */
  async ensureQueue(queue: string): Promise<void> {
    if (this.created.has(queue)) return;
    await this.start();
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
    this.created.add(queue);
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
    for (const queue of queues) {
      const definition = this.definitions.get(queue);
      if (!definition) throw new Error(`no job defined for queue ${queue}`);
      await this.ensureQueue(queue);
      const workers = definition.concurrency ?? 1;
      for (let index = 0; index < workers; index += 1) {
        await this.boss.work<object>(
          queue,
          {
            batchSize: 1,
            includeMetadata: true,
            pollingIntervalSeconds: definition.pollingIntervalSeconds ?? 1,
          },
          async ([job]) => {
            if (!job) return;
            const logger = this.options.logger.child({ queue, jobId: job.id });
            await definition.handle(job.data as never, {
              id: job.id,
              retryCount: job.retryCount,
              createdOn: job.createdOn,
              logger,
            });
          },
        );
      }
    }
  }

  /** Stops this process's workers of `queue` (jobs in flight finish). */
  async stopWorking(queue: string): Promise<void> {
    if (!this.started || this.stopped) return;
    await this.boss.offWork(queue);
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.stopped || !this.started) return;
    this.stopped = true;
    await this.boss.stop({ graceful: true, timeout: timeoutMs, wait: true });
  }
}
