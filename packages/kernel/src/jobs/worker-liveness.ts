import { hostname } from 'node:os';
import type PgBoss from 'pg-boss';
import type { Logger } from 'pino';

/** A worker silent for this many heartbeats is presumed dead. */
export const MISSED_BEATS = 3;
/** Workers silent for this long are forgotten (their runs were reaped long before). */
const FORGET_AFTER_SECONDS = 3600;

export interface LivenessQueue {
  name: string;
  heartbeatSeconds: number;
}

export interface WorkerLivenessOptions {
  /** pg-boss's pool: the liveness tables are in the platform schema of the same database. */
  db: PgBoss.Db;
  boss: PgBoss;
  workerId: string;
  logger: Logger;
}

/**
 * Heartbeats and dead-worker requeue for the queues that declare `liveness`. The process beats
 * at the shortest interval of the queues it works; each beat also reaps: the runs of workers
 * silent for `MISSED_BEATS` beats of their queue are claimed (deleted, so one reaper wins) and
 * their pg-boss jobs failed, which retries them (then dead-letters them) under the job's policy.
 * A reaper that dies between the two leaves the job to pg-boss's expiry, as without liveness.
 */
export class WorkerLiveness {
  readonly #options: WorkerLivenessOptions;
  readonly #queues = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #intervalSeconds = Number.POSITIVE_INFINITY;
  #beating: Promise<void> | undefined;

  constructor(options: WorkerLivenessOptions) {
    this.#options = options;
  }

  /** Starts beating for `queue` (the first beat is written before this resolves). */
  async add(queue: LivenessQueue): Promise<void> {
    this.#queues.set(queue.name, queue.heartbeatSeconds);
    await this.beat();
    if (queue.heartbeatSeconds < this.#intervalSeconds) {
      this.#intervalSeconds = queue.heartbeatSeconds;
      clearInterval(this.#timer);
      this.#timer = setInterval(() => {
        this.beat().catch((error) =>
          this.#options.logger.warn({ err: error }, 'job worker heartbeat failed'),
        );
      }, this.#intervalSeconds * 1000);
      this.#timer.unref();
    }
  }

  remove(queue: string): void {
    this.#queues.delete(queue);
  }

  /** Records that this worker runs `jobId`; the returned function forgets it when the run ends. */
  async track(queue: string, jobId: string): Promise<() => Promise<void>> {
    const { db, workerId } = this.#options;
    await db.executeSql(
      `INSERT INTO platform.job_runs (job_id, queue, worker_id) VALUES ($1, $2, $3)
       ON CONFLICT (job_id) DO UPDATE SET queue = $2, worker_id = $3, started_at = now()`,
      [jobId, queue, workerId],
    );
    return async () => {
      await db
        .executeSql('DELETE FROM platform.job_runs WHERE job_id = $1 AND worker_id = $2', [jobId, workerId])
        .catch((error) => this.#options.logger.warn({ err: error, jobId }, 'job run record not removed'));
    };
  }

  /** One heartbeat, then the reaping of dead workers' runs. Concurrent calls share one beat. */
  beat(): Promise<void> {
    this.#beating ??= this.#beat().finally(() => {
      this.#beating = undefined;
    });
    return this.#beating;
  }

  async #beat(): Promise<void> {
    const { db, workerId } = this.#options;
    await db.executeSql(
      `INSERT INTO platform.job_workers (id, hostname, pid, queues) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), queues = $4`,
      [workerId, hostname(), process.pid, [...this.#queues.keys()]],
    );
    for (const [queue, heartbeatSeconds] of this.#queues) await this.#reap(queue, heartbeatSeconds);
    await db.executeSql(
      'DELETE FROM platform.job_workers WHERE heartbeat_at < now() - make_interval(secs => $1)',
      [FORGET_AFTER_SECONDS],
    );
  }

  async #reap(queue: string, heartbeatSeconds: number): Promise<void> {
    const { db, boss, logger } = this.#options;
    const { rows } = await db.executeSql(
      `DELETE FROM platform.job_runs r
        WHERE r.queue = $1
          AND NOT EXISTS (
            SELECT 1 FROM platform.job_workers w
             WHERE w.id = r.worker_id AND w.heartbeat_at > now() - make_interval(secs => $2))
        RETURNING r.job_id::text AS job_id, r.worker_id`,
      [queue, heartbeatSeconds * MISSED_BEATS],
    );
    if (rows.length === 0) return;
    const orphans = rows as { job_id: string; worker_id: string }[];
    // Only runs still active: a job pg-boss already expired and retried is not failed twice.
    const { rows: active } = await db.executeSql(
      `SELECT id::text AS id FROM pgboss.job WHERE name = $1 AND id = ANY($2::uuid[]) AND state = 'active'`,
      [queue, orphans.map((orphan) => orphan.job_id)],
    );
    for (const { id } of active as { id: string }[]) {
      const orphan = orphans.find((candidate) => candidate.job_id === id);
      await boss.fail(queue, id, { message: `worker ${orphan?.worker_id} stopped while running this job` });
      logger.warn({ queue, jobId: id, deadWorker: orphan?.worker_id }, 'job of a dead worker handed back');
    }
  }

  /** Workers of `queue` whose heartbeat is recent enough to count them alive. */
  async liveWorkers(queue: string, heartbeatSeconds: number): Promise<number> {
    const { rows } = await this.#options.db.executeSql(
      `SELECT count(*)::int AS count FROM platform.job_workers
        WHERE $1 = ANY(queues) AND heartbeat_at > now() - make_interval(secs => $2)`,
      [queue, heartbeatSeconds * MISSED_BEATS],
    );
    return Number((rows[0] as { count: number } | undefined)?.count ?? 0);
  }

  /** Stops beating and removes this worker (its runs have ended: the queue waited for them). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#beating?.catch(() => undefined);
    if (this.#queues.size === 0 && this.#intervalSeconds === Number.POSITIVE_INFINITY) return;
    await this.#options.db
      .executeSql('DELETE FROM platform.job_workers WHERE id = $1', [this.#options.workerId])
      .catch(() => undefined);
  }
}
