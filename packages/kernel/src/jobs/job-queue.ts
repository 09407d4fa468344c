import { CompiledQuery } from 'kysely';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { KyselyExecutor } from '../db/sql-executor.js';

/** PostgreSQL's SQLSTATE for a transaction chosen as a deadlock victim. */
const DEADLOCK_DETECTED = '40P01';

export interface JobContext {
  id: string;
  /** How many times this job was tried before this run (0 on the first). */
  retryCount: number;
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
}

/** pg-boss on the platform database: durable queues, retries, dead letters, workers. */
export class JobQueue {
  readonly boss: PgBoss;
  private readonly definitions = new Map<string, JobDefinition<never>>();
  private readonly ensuring = new Map<string, Promise<void>>();
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
            await definition.handle(job.data as never, { id: job.id, retryCount: job.retryCount, logger });
          },
        );
      }
    }
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.stopped || !this.started) return;
    this.stopped = true;
    await this.boss.stop({ graceful: true, timeout: timeoutMs, wait: true });
  }
}
