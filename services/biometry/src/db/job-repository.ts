import { type Kysely, sql, type Transaction } from 'kysely';
import type { BiometryDatabase } from './tables.js';

export interface NewJob {
  id: string;
  clientId: string;
  batchId: string | null;
  citizenCode: string;
  documentType: string;
  countryCode: string;
  declaredIdentity: Record<string, unknown>;
  priority: 'normal' | 'high';
  callbackUrl: string | null;
  imageKeys: Record<string, string>;
}

export interface JobRecord {
  id: string;
  clientId: string;
  citizenCode: string;
  documentType: string;
  countryCode: string;
  declaredIdentity: Record<string, unknown>;
  priority: 'normal' | 'high';
  callbackUrl: string | null;
  imageKeys: Record<string, string>;
  status: 'queued' | 'processing' | 'completed' | 'error';
  queuedAt: Date;
  startedAt: Date | null;
  workerId: string | null;
  attempts: number;
}

export interface JobResultRecord {
  id: string;
  citizenCode: string;
  status: 'completed' | 'error';
  outcome: 'verified' | 'pending_review' | 'rejected' | 'error';
  completedAt: Date;
  processingTimeMs: number;
  failureReason: string | null;
  crossValidations: Record<string, unknown>;
  scores: Record<string, unknown>;
}

export interface JobOutcome {
  status: 'completed' | 'error';
  outcome: 'verified' | 'pending_review' | 'rejected' | 'error';
  failureReason: string | null;
  processingTimeMs: number;
  scores: Record<string, unknown>;
  crossValidations: Record<string, unknown>;
}

type Executor = Kysely<BiometryDatabase> | Transaction<BiometryDatabase>;

// biome-ignore lint/suspicious/noExplicitAny: Kysely row shape from selectAll
function toJob(row: any): JobRecord {
  return {
    id: row.id,
    clientId: row.client_id,
    citizenCode: row.citizen_code,
    documentType: row.document_type,
    countryCode: row.country_code,
    declaredIdentity: row.declared_identity,
    priority: row.priority,
    callbackUrl: row.callback_url,
    imageKeys: row.image_keys,
    status: row.status,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    workerId: row.worker_id,
    attempts: row.attempts,
  };
}

export function createJobRepository(db: Kysely<BiometryDatabase>) {
  return {
    async insertMany(executor: Executor, jobs: NewJob[]): Promise<void> {
      if (!jobs.length) return;
      await executor
        .insertInto('jobs')
        .values(
          jobs.map((job) => ({
            id: job.id,
            client_id: job.clientId,
            batch_id: job.batchId,
            citizen_code: job.citizenCode,
            document_type: job.documentType,
            country_code: job.countryCode,
            declared_identity: JSON.stringify(job.declaredIdentity),
            priority: job.priority,
            callback_url: job.callbackUrl,
            image_keys: JSON.stringify(job.imageKeys),
          })),
        )
        .execute();
    },

    async findForClient(id: string, clientId: string): Promise<JobRecord | undefined> {
      const row = await db
        .selectFrom('jobs')
        .selectAll()
        .where('id', '=', id)
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return row ? toJob(row) : undefined;
    },

    /**
     * Marks a job as being processed by `workerId`. Returns undefined when the job is already
     * finished (a redelivered pg-boss job after a crash that happened after completion).
     */
    async claim(id: string, workerId: string): Promise<JobRecord | undefined> {
      const row = await db
        .updateTable('jobs')
        .set((eb) => ({
          status: 'processing',
          started_at: new Date(),
          worker_id: workerId,
          attempts: eb('attempts', '+', 1),
        }))
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'processing'])
        .returningAll()
        .executeTakeFirst();
      return row ? toJob(row) : undefined;
    },

    /** Records the outcome once; a second completion of the same job changes nothing. */
    async complete(executor: Executor, id: string, outcome: JobOutcome): Promise<boolean> {
      const result = await executor
        .updateTable('jobs')
        .set({
          status: outcome.status,
          outcome: outcome.outcome,
          failure_reason: outcome.failureReason,
          processing_time_ms: outcome.processingTimeMs,
          scores: JSON.stringify(outcome.scores),
          cross_validations: JSON.stringify(outcome.crossValidations),
          completed_at: new Date(),
          image_keys: JSON.stringify({}),
        })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'processing'])
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async readyResults(
      clientId: string,
      limit: number,
    ): Promise<{ results: JobResultRecord[]; totalReady: number }> {
      const rows = await db
        .selectFrom('jobs')
        .selectAll()
        .where('client_id', '=', clientId)
        .where('completed_at', 'is not', null)
        .where('acked_at', 'is', null)
        .orderBy('completed_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      const count = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('client_id', '=', clientId)
        .where('completed_at', 'is not', null)
        .where('acked_at', 'is', null)
        .executeTakeFirstOrThrow();
      return {
        totalReady: Number(count.count),
        results: rows.map((row) => ({
          id: row.id,
          citizenCode: row.citizen_code,
          status: row.status as 'completed' | 'error',
          outcome: row.outcome as JobResultRecord['outcome'],
          completedAt: row.completed_at as Date,
          processingTimeMs: row.processing_time_ms ?? 0,
          failureReason: row.failure_reason,
          crossValidations: (row.cross_validations ?? {}) as Record<string, unknown>,
          scores: (row.scores ?? {}) as Record<string, unknown>,
        })),
      };
    },

    /** Acks completed, unacked results of the client; returns how many were acked. */
    async ack(clientId: string, ids: string[]): Promise<number> {
      if (!ids.length) return 0;
      const result = await db
        .updateTable('jobs')
        .set({ acked_at: new Date() })
        .where('client_id', '=', clientId)
        .where('id', 'in', ids)
        .where('completed_at', 'is not', null)
        .where('acked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /** Jobs waiting or running, over every client (the shared queue). */
    async queueDepth(): Promise<number> {
      const row = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('status', 'in', ['queued', 'processing'])
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    /** Jobs a new job of this priority waits behind: running ones, queued high ones, and (for normal) queued normal ones. */
    async positionFor(executor: Executor, priority: 'normal' | 'high', excluding: string[]): Promise<number> {
      let query = executor
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('status', 'in', ['queued', 'processing']);
      if (excluding.length) query = query.where('id', 'not in', excluding);
      if (priority === 'high')
        query = query.where((eb) => eb.or([eb('status', '=', 'processing'), eb('priority', '=', 'high')]));
      const row = await query.executeTakeFirstOrThrow();
      return Number(row.count);
    },

    /** Jobs finished per second over the last `windowSeconds` (0 when none). */
    async recentThroughput(windowSeconds: number): Promise<{ perSecond: number; meanMs: number | null }> {
      const row = await db
        .selectFrom('jobs')
        .select((eb) => [
          eb.fn.countAll<string>().as('count'),
          eb.fn.avg<string>('processing_time_ms').as('mean'),
        ])
        .where('completed_at', '>', sql<Date>`now() - make_interval(secs => ${windowSeconds})`)
        .executeTakeFirstOrThrow();
      return {
        perSecond: Number(row.count) / windowSeconds,
        meanMs: row.mean === null ? null : Number(row.mean),
      };
    },

    /** How many times the job was claimed by a worker (undefined: no such job). */
    async attempts(id: string): Promise<number | undefined> {
      const row = await db.selectFrom('jobs').select('attempts').where('id', '=', id).executeTakeFirst();
      return row?.attempts;
    },

    /** Deletes acked results older than the retention; returns how many. */
    async purgeAcked(retentionHours: number): Promise<number> {
      const result = await db
        .deleteFrom('jobs')
        .where(
          'acked_at',
          '<',
          sql<Date>`now() - make_interval(secs => ${Math.round(retentionHours * 3600)})`,
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type JobRepository = ReturnType<typeof createJobRepository>;
