import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import { PgListener } from '../db/pg-listener.js';
import { runSql, type SqlExecutor } from '../db/sql-executor.js';
import {
  type AnyJobDefinition,
  type JobContext,
  type JobDefinition,
  JobTimeoutError,
  retryPolicy,
} from './define-job.js';
import { MISSED_BEATS, WorkerLiveness } from './worker-liveness.js';

export * from './define-job.js';

/** Channel on which a committed job wakes the workers of its queue in every process. */
export const JOBS_CHANNEL = 'platform_jobs';

/** After `timeoutSeconds`, a handler has this long to record its own outcome before the run fails. */
const TIMEOUT_GRACE_MS = 5000;
/** pg-boss expires a run (a crashed worker's, without liveness) this long after its grace period. */
const EXPIRY_MARGIN_SECONDS = 5;
/** A run's pg-boss expiry past its timeout: the handler is failed here before pg-boss expires it. */
const EXPIRY_AFTER_TIMEOUT_SECONDS = TIMEOUT_GRACE_MS / 1000 + EXPIRY_MARGIN_SECONDS;
const DEFAULT_HEARTBEAT_SECONDS = 10;
/** PostgreSQL's SQLSTATE for a transaction chosen as a deadlock victim. */
const DEADLOCK_DETECTED = '40P01';

export interface SendOptions {
  /**
   * Enqueue through the caller's transaction (a Kysely transaction or a pg client inside BEGIN):
   * the job exists iff the transaction commits, and its workers wake when it does.
   */
  transaction?: SqlExecutor;
  startAfter?: Date | number;
  priority?: number;
  id?: string;
  /** Replaces the job's `timeoutSeconds` for this one (a run whose budget depends on its payload). */
  timeoutSeconds?: number;
}

/** Runs statements through the caller's executor (pg-boss's `db` option). */
export function transactionExecutor(transaction: SqlExecutor): PgBoss.Db {
  return {
    async executeSql(text, values) {
      return { rows: (await runSql(transaction, text, values)) as never[] };
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
   * expiry (a crashed worker's without liveness), so they are retried. pg-boss's default is 120.
   */
  maintenanceIntervalSeconds?: number;
}

/** The payload as stored (`{ version, ...payload }`) and what a worker makes of it. */
type Parsed<P> =
  | { kind: 'ok'; payload: P }
  | { kind: 'newer'; version: number }
  | { kind: 'invalid'; reason: string };

/**
 * pg-boss on the platform database: durable queues, retries with backoff, dead letters, schedules,
 * timeouts and worker liveness, for jobs declared with `defineJob`.
 */
export class JobQueue {
  readonly boss: PgBoss;
  /** This process's worker id: `hostname:pid:random`. */
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly definitions = new Map<string, AnyJobDefinition>();
  private readonly ensuring = new Map<string, Promise<void>>();
  private readonly workerIds = new Map<string, string[]>();
  private listener: PgListener | undefined;
  private liveness: WorkerLiveness | undefined;
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

  /** Registers a job (every process that sends or works it); the same declaration again is a no-op. */
  define<P extends object>(definition: JobDefinition<P>): JobDefinition<P> {
    const existing = this.definitions.get(definition.name);
    if (existing && existing !== definition) {
      // A second composition of the same service in one process (tests boot several) replaces it.
      this.options.logger.debug({ queue: definition.name }, 'job definition replaced');
    }
    this.definitions.set(definition.name, definition);
    return definition;
  }

  definition(name: string): AnyJobDefinition | undefined {
    return this.definitions.get(name);
  }

  /**
   * Creates the queue and its dead-letter queue once per process (idempotent in pg-boss too).
   * Concurrent first sends in a process share one creation; creations racing in other processes
   * can deadlock in pg-boss (each creates and attaches a partition of its job table), so a
   * deadlock is retried: by then the other process's queue exists.
   */
  ensureQueue(name: string): Promise<void> {
    let ensuring = this.ensuring.get(name);
    if (!ensuring) {
      ensuring = this.createQueue(name).catch((error: unknown) => {
        this.ensuring.delete(name);
        throw error;
      });
      this.ensuring.set(name, ensuring);
    }
    return ensuring;
  }

  private async createQueue(name: string): Promise<void> {
    await this.start();
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.createQueueOnce(name);
        return;
      } catch (error) {
        if ((error as { code?: unknown }).code !== DEADLOCK_DETECTED || attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80 * attempt));
      }
    }
  }

  private async createQueueOnce(name: string): Promise<void> {
    const definition = this.definitions.get(name);
    const deadLetter = `${name}.dead`;
    const retry = retryPolicy(definition);
    const existing = await this.boss.getQueue(name);
    if (!(await this.boss.getQueue(deadLetter)))
      await this.boss.createQueue(deadLetter, { name: deadLetter, retryLimit: retry.limit });
    const policy: PgBoss.Queue = {
      name,
      deadLetter,
      retryLimit: retry.limit,
      retryDelay: retry.delaySeconds,
      retryBackoff: retry.backoff,
      expireInSeconds: definition ? definition.timeoutSeconds + EXPIRY_AFTER_TIMEOUT_SECONDS : 900,
    };
    if (existing) {
      const wanted = queuePolicy(definition);
      if (existing.policy && existing.policy !== wanted)
        this.options.logger.warn(
          { queue: name, policy: existing.policy, declared: wanted },
          'queue policy differs from its declaration (a queue keeps the policy it was created with)',
        );
      await this.boss.updateQueue(name, policy);
    } else await this.boss.createQueue(name, { ...policy, policy: queuePolicy(definition) });
  }

  /**
   * Sends one job: its payload is checked against the job's schema and stored with its version.
   * Returns the job id, or null when `dedupe` found one already queued.
   */
  async send<P extends object>(
    job: JobDefinition<P>,
    payload: P,
    options: SendOptions = {},
  ): Promise<string | null> {
    const [id] = await this.sendMany(job, [{ payload, ...options }], { transaction: options.transaction });
    return id ?? null;
  }

  /** Sends several jobs in one statement; ids in order (null where deduplicated). */
  async sendMany<P extends object>(
    job: JobDefinition<P>,
    items: (Omit<SendOptions, 'transaction'> & { payload: P })[],
    options: Pick<SendOptions, 'transaction'> = {},
  ): Promise<(string | null)[]> {
    if (!this.definitions.has(job.name)) this.define(job);
    await this.ensureQueue(job.name);
    const db = options.transaction ? transactionExecutor(options.transaction) : undefined;
    const ids: (string | null)[] = [];
    if (items.length === 1 || job.dedupe) {
      // pg-boss reports a deduplicated send (null) only one job at a time.
      for (const item of items) {
        const { payload, timeoutSeconds, ...jobOptions } = item;
        ids.push(
          await this.boss.send(job.name, this.stored(job, payload), {
            ...jobOptions,
            ...(timeoutSeconds !== undefined
              ? { expireInSeconds: timeoutSeconds + EXPIRY_AFTER_TIMEOUT_SECONDS }
              : {}),
            ...(job.dedupe ? { singletonKey: job.dedupe.key(payload) } : {}),
            ...(db ? { db } : {}),
          }),
        );
      }
    } else if (items.length > 1) {
      const inserts: PgBoss.JobInsert[] = items.map(({ payload, ...item }) => {
        const id = item.id ?? randomUUID();
        ids.push(id);
        return {
          id,
          name: job.name,
          data: this.stored(job, payload),
          ...(item.priority !== undefined ? { priority: item.priority } : {}),
          ...(item.startAfter !== undefined ? { startAfter: new Date(item.startAfter) } : {}),
          ...(item.timeoutSeconds !== undefined
            ? { expireInSeconds: item.timeoutSeconds + EXPIRY_AFTER_TIMEOUT_SECONDS }
            : {}),
          // `insert` does not apply the queue's policy: the job carries it.
          retryLimit: retryPolicy(job).limit,
          retryDelay: retryPolicy(job).delaySeconds,
          retryBackoff: retryPolicy(job).backoff,
        };
      });
      await this.boss.insert(inserts, db ? { db } : {});
    }
    const due = items.some(
      (item) => item.startAfter === undefined || new Date(item.startAfter) <= new Date(),
    );
    if (due) await this.announce(options.transaction ?? this.boss.getDb(), job.name);
    return ids;
  }

  /** Cancels waiting jobs (in the caller's transaction when given). */
  async cancel(
    job: JobDefinition<never> | AnyJobDefinition,
    ids: string[],
    options: Pick<SendOptions, 'transaction'> = {},
  ) {
    if (ids.length === 0) return;
    await this.ensureQueue(job.name);
    await this.boss.cancel(
      job.name,
      ids,
      options.transaction ? { db: transactionExecutor(options.transaction) } : {},
    );
  }

  /**
   * Jobs of `name` waiting to run (created or retry) and running (active), in one grouped count
   * (pg-boss's API counts one state at a time). `executor`: where to read (the service's pool, so
   * an outage is recognised as one); pg-boss's own pool otherwise.
   */
  async counts(
    name: string,
    options: { executor?: SqlExecutor } = {},
  ): Promise<{ waiting: number; active: number }> {
    const text = `SELECT state, count(*)::int AS count FROM pgboss.job
        WHERE name = $1 AND state IN ('created', 'retry', 'active') GROUP BY state`;
    let rows: { state: string; count: number }[];
    if (options.executor) rows = await runSql(options.executor, text, [name]);
    else {
      await this.start();
      rows = (await this.boss.getDb().executeSql(text, [name])).rows as { state: string; count: number }[];
    }
    const by = (state: string) => Number(rows.find((row) => row.state === state)?.count ?? 0);
    return { waiting: by('created') + by('retry'), active: by('active') };
  }

  /**
   * Deletes the jobs of `name` still waiting (created or retry) in the caller's transaction and
   * returns them with their stored payloads; a job another transaction holds (being fetched right
   * now) is skipped.
   */
  async removeWaiting(
    name: string,
    options: Required<Pick<SendOptions, 'transaction'>>,
  ): Promise<{ id: string; data: Record<string, unknown> | null }[]> {
    await this.ensureQueue(name);
    const rows = await runSql<{ id: string; data: Record<string, unknown> | null }>(
      options.transaction,
      `SELECT id::text AS id, data FROM pgboss.job
        WHERE name = $1 AND state IN ('created', 'retry')
        FOR UPDATE SKIP LOCKED`,
      [name],
    );
    if (rows.length > 0)
      await this.boss.deleteJob(
        name,
        rows.map((row) => row.id),
        { db: transactionExecutor(options.transaction) },
      );
    return rows;
  }

  private stored<P extends object>(job: JobDefinition<P>, payload: P): object {
    const checked = job.payload.parse(payload);
    return { ...checked, version: job.version };
  }

  private parse<P extends object>(job: JobDefinition<P>, data: unknown): Parsed<P> {
    const { version = 1, ...rest } = (data ?? {}) as { version?: unknown };
    if (typeof version !== 'number') return { kind: 'invalid', reason: `payload version ${String(version)}` };
    if (version > job.version) return { kind: 'newer', version };
    if (version < job.version)
      return {
        kind: 'invalid',
        reason: `payload version ${version}; this worker runs version ${job.version}`,
      };
    const result = job.payload.safeParse(rest);
    if (!result.success)
      return { kind: 'invalid', reason: `invalid payload: ${result.error.message.slice(0, 500)}` };
    return { kind: 'ok', payload: result.data };
  }

  /**
   * Starts this process's workers of the given jobs (all defined ones when omitted), their
   * dead-letter handlers, liveness heartbeats and schedules.
   */
  async work(jobs: (string | AnyJobDefinition)[] = [...this.definitions.keys()]): Promise<void> {
    await this.listen();
    for (const entry of jobs) {
      const name = typeof entry === 'string' ? entry : entry.name;
      if (typeof entry !== 'string' && !this.definitions.has(name)) this.define(entry);
      const definition = this.definitions.get(name);
      if (!definition) throw new Error(`no job defined for queue ${name}`);
      await this.ensureQueue(name);
      if (definition.liveness) {
        this.liveness ??= new WorkerLiveness({
          db: this.boss.getDb(),
          boss: this.boss,
          workerId: this.workerId,
          logger: this.options.logger,
        });
        await this.liveness.add({ name, heartbeatSeconds: definition.liveness.heartbeatSeconds });
      }
      for (let index = 0; index < (definition.concurrency ?? 1); index += 1) {
        await this.loop(name, definition.batchSize ?? 1, definition.pollingIntervalSeconds ?? 1, (job) =>
          this.run(definition, job),
        );
      }
      if (definition.deadLetter) {
        await this.loop(`${name}.dead`, 1, 5, (job) => this.runDeadLetter(definition, job));
      }
      if (definition.schedule) {
        const { cron, payload, tz } = definition.schedule;
        await this.boss.schedule(name, cron, this.stored(definition, payload), tz ? { tz } : {});
      }
    }
  }

  /** One pg-boss worker loop of `queue`: each job of a fetched batch runs, and fails, on its own. */
  private async loop(
    queue: string,
    batchSize: number,
    pollingIntervalSeconds: number,
    run: (job: PgBoss.JobWithMetadata<object>) => Promise<void>,
  ): Promise<void> {
    let workerId: string | undefined;
    workerId = await this.boss.work<object>(
      queue,
      { batchSize, includeMetadata: true, pollingIntervalSeconds },
      async (jobs) => {
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

  private async run(definition: AnyJobDefinition, job: PgBoss.JobWithMetadata<object>): Promise<void> {
    const logger = this.options.logger.child({ queue: definition.name, jobId: job.id });
    const parsed = this.parse(definition, job.data);
    if (parsed.kind === 'newer')
      throw new Error(`payload version ${parsed.version} is newer than this worker's ${definition.version}`);
    if (parsed.kind === 'invalid') {
      // Running it again would fail the same way: straight to the dead letter, for inspection.
      logger.error({ reason: parsed.reason }, 'job payload refused; dead-lettered');
      await this.boss.send(`${definition.name}.dead`, job.data ?? {});
      return;
    }
    const forget =
      this.liveness && definition.liveness ? await this.liveness.track(definition.name, job.id) : undefined;
    try {
      await this.execute(definition, parsed.payload, {
        id: job.id,
        retryCount: job.retryCount,
        createdOn: job.createdOn,
        logger,
        timeoutSeconds: runTimeout(definition, job),
      });
    } finally {
      await forget?.();
    }
  }

  /**
   * Runs a job's handler here and now, outside the queue, under its timeout (operator commands
   * that do a job's work on demand, tests). Its errors are the caller's.
   */
  async runNow<P extends object>(job: JobDefinition<P> | string, payload: P): Promise<void> {
    const definition = typeof job === 'string' ? this.definitions.get(job) : job;
    if (!definition) throw new Error(`no job defined for queue ${String(job)}`);
    const id = randomUUID();
    await this.execute(definition, definition.payload.parse(payload), {
      id,
      retryCount: 0,
      createdOn: new Date(),
      logger: this.options.logger.child({ queue: definition.name, jobId: id, onDemand: true }),
      timeoutSeconds: definition.timeoutSeconds,
    });
  }

  /** One run of the handler: `signal` aborts at the timeout, the run fails a grace period later. */
  private async execute(
    definition: AnyJobDefinition,
    payload: object,
    run: {
      id: string;
      retryCount: number;
      createdOn: Date | undefined;
      logger: Logger;
      timeoutSeconds: number;
    },
  ): Promise<void> {
    const controller = new AbortController();
    const { timeoutSeconds } = run;
    const abortTimer = setTimeout(
      () => controller.abort(new JobTimeoutError(timeoutSeconds)),
      timeoutSeconds * 1000,
    );
    let failTimer: NodeJS.Timeout | undefined;
    const context: JobContext = {
      id: run.id,
      name: definition.name,
      retryCount: run.retryCount,
      lastAttempt: run.retryCount >= retryPolicy(definition).limit,
      ...(run.createdOn ? { createdOn: run.createdOn } : {}),
      logger: run.logger,
      signal: controller.signal,
      workerId: this.workerId,
    };
    try {
      await Promise.race([
        definition.handle(payload, context),
        new Promise<never>((_, reject) => {
          failTimer = setTimeout(
            () => reject(new JobTimeoutError(timeoutSeconds)),
            timeoutSeconds * 1000 + TIMEOUT_GRACE_MS,
          );
        }),
      ]);
    } finally {
      clearTimeout(abortTimer);
      clearTimeout(failTimer);
    }
  }

  private async runDeadLetter(
    definition: AnyJobDefinition,
    job: PgBoss.JobWithMetadata<object>,
  ): Promise<void> {
    const logger = this.options.logger.child({ queue: `${definition.name}.dead`, jobId: job.id });
    const parsed = this.parse(definition, job.data);
    if (parsed.kind !== 'ok') {
      logger.error(
        { reason: parsed.kind === 'invalid' ? parsed.reason : 'newer version' },
        'dead letter kept',
      );
      return;
    }
    const output = job.output as { message?: unknown; value?: { message?: unknown } } | undefined;
    const reason = output?.message ?? output?.value?.message;
    await definition.deadLetter?.(parsed.payload, {
      id: job.id,
      name: definition.name,
      logger,
      reason: typeof reason === 'string' ? reason : undefined,
    });
  }

  /** Stops this process's workers of `name` (jobs in flight finish). */
  async stopWorking(name: string): Promise<void> {
    this.workerIds.delete(name);
    this.workerIds.delete(`${name}.dead`);
    this.liveness?.remove(name);
    if (!this.started || this.stopped) return;
    await this.boss.offWork(name);
    await this.boss.offWork(`${name}.dead`);
  }

  /** Live workers of a job that declares liveness (processes whose heartbeat is recent). */
  async liveWorkers(name: string): Promise<number> {
    await this.start();
    const heartbeatSeconds =
      this.definitions.get(name)?.liveness?.heartbeatSeconds ?? DEFAULT_HEARTBEAT_SECONDS;
    const { rows } = await this.boss.getDb().executeSql(
      `SELECT count(*)::int AS count FROM platform.job_workers
          WHERE $1 = ANY(queues) AND heartbeat_at > now() - make_interval(secs => $2)`,
      [name, heartbeatSeconds * MISSED_BEATS],
    );
    return Number((rows[0] as { count: number } | undefined)?.count ?? 0);
  }

  /** Runs one liveness heartbeat and reaping now (tests; the timer does it otherwise). */
  async heartbeat(): Promise<void> {
    await this.liveness?.beat();
  }

  /**
   * Wakes the workers of `queue` in every process when the caller's transaction commits, instead
   * of at their next poll: call it through the executor that inserted the jobs.
   */
  async announce(executor: SqlExecutor | PgBoss.Db, queue: string): Promise<void> {
    if ('executeSql' in executor)
      await executor.executeSql('SELECT pg_notify($1, $2)', [JOBS_CHANNEL, queue]);
    else await runSql(executor, 'SELECT pg_notify($1, $2)', [JOBS_CHANNEL, queue]);
  }

  /** Wakes this process's idle workers of `queue`. */
  nudge(queue: string): void {
    for (const id of this.workerIds.get(queue) ?? []) this.boss.notifyWorker(id);
  }

  /** LISTENs for announced queues; polling still works without it (a lost connection is retried). */
  private async listen(): Promise<void> {
    if (this.listener || this.stopped) return;
    this.listener = new PgListener({
      connection: { connectionString: this.options.databaseUrl, application_name: 'trustplane-jobs-listen' },
      channels: [JOBS_CHANNEL],
      logger: this.options.logger,
      retryMs: 5000,
      onNotification: (_channel, queue) => this.nudge(queue),
      // Announcements sent while nobody listened are lost: look for work at once.
      onConnected: () => {
        for (const queue of this.workerIds.keys()) this.nudge(queue);
      },
    });
    await this.listener.start();
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.stopped || !this.started) return;
    this.stopped = true;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.stop();
    // Workers finish their jobs first: the liveness record goes only once no run is left.
    await this.boss.stop({ graceful: true, timeout: timeoutMs, wait: true, close: false });
    await this.liveness?.stop();
    await (this.boss.getDb() as PgBoss.Db & { close?(): Promise<void> }).close?.();
  }
}

/** The job's own budget (`timeoutSeconds` at send), read back from its pg-boss expiry. */
function runTimeout(definition: AnyJobDefinition, job: PgBoss.JobWithMetadata<object>): number {
  // pg returns `EXTRACT(epoch …)` as a numeric string.
  const expiry = Number(job.expireInSeconds);
  if (!Number.isFinite(expiry)) return definition.timeoutSeconds;
  return Math.max(1, expiry - EXPIRY_AFTER_TIMEOUT_SECONDS);
}

function queuePolicy(definition: AnyJobDefinition | undefined): PgBoss.QueuePolicy {
  if (!definition?.dedupe) return 'standard';
  return definition.dedupe.while === 'queued' ? 'short' : 'stately';
}
