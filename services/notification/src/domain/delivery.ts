import type { Database, Outbox } from '@trustplane/kernel';
import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { NotificationConfig, ProviderType } from '../config.js';
import type { NotificationDatabase, NotificationStatus, StoredContent } from '../db/schema.js';
import { DeliveryError, type DeliveryTarget } from '../providers/provider.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { type DeliveryQueue, newJobId } from '../queue/delivery-queue.js';
import { DEAD_LETTER_QUEUE, DELIVERY_QUEUE } from '../queue/names.js';
import { GroupCommit } from './group-commit.js';
import { newDeadLetterId } from './ids.js';
import {
  attemptBudgetSeconds,
  type NotificationRow,
  type Notifications,
  publishStatus,
  type RecipientRow,
  statusMessage,
} from './notifications.js';

export interface DeliveryEngineDeps {
  db: Database<NotificationDatabase>;
  notifications: Notifications;
  providers: ProviderRegistry;
  queue: DeliveryQueue;
  outbox: Pick<Outbox, 'publish' | 'publishMany' | 'publishManyWhere'>;
  config: NotificationConfig;
  sealKey: Buffer;
  logger: Logger;
}

/** One delivery attempt to run: the message (pg-boss job or AMQP message) `jobId` for a notification. */
export interface DeliveryJob {
  jobId: string;
  notificationId: string;
  /**
   * With AMQP_URL, the attempt's budget in seconds: a copy of the message arriving while the
   * notification is `processing` claims it only once that long has passed since the claim (its
   * worker is then presumed dead). pg-boss never runs one job twice at once: undefined.
   */
  leaseSeconds?: number;
}

/** What the queue does with the message once the attempt is over. */
export type AttemptResult =
  /** Settled (delivered, retrying with its next attempt queued, cancelled) or stale: acknowledge. */
  | { kind: 'done' }
  /** Failed for good and recorded in `dead_letters`: the broker dead-letters the message too. */
  | { kind: 'dead-lettered'; deadLetterId: string }
  /** Another attempt of this message holds the notification: try again in `retryInMs`. */
  | { kind: 'leased'; retryInMs: number };

type Claim =
  | { kind: 'claimed'; row: NotificationRow; recipients: RecipientRow[] }
  | { kind: 'stale' }
  | { kind: 'leased'; retryInMs: number };

interface AcceptedAttempt {
  jobId: string;
  row: NotificationRow;
  outcomes: Outcome[];
  acceptedRecorded: boolean;
}

/** Claims and fully accepted settlements of concurrent attempts share statements (group commit). */
const GROUP = { maxBatch: 64, maxInFlight: 2 };

interface Outcome {
  position: number;
  accepted?: string;
  error?: DeliveryError;
}

const MAX_ERROR = 1000;

/** Backoff before retry `retry` (1-based): the configured step (the last repeats), ± jitter, at least Retry-After. */
export function retryDelayMs(
  config: NotificationConfig,
  retry: number,
  retryAfterMs?: number,
  random = Math.random,
) {
  const steps = config.retryDelaysMs;
  const base = steps[Math.min(retry - 1, steps.length - 1)] ?? 30_000;
  const jittered = Math.round(base * (1 + (random() * 2 - 1) * config.retryJitter));
  return Math.max(jittered, retryAfterMs ?? 0);
}

/**
 * One delivery attempt (the handler of `notification.delivery.queue`): claims the notification
 * for its job, sends every recipient not yet accepted, then settles it in one transaction —
 * delivered, retrying (next attempt scheduled), failed (dead-lettered) or cancelled — and
 * publishes the change on `notification.outbound` through the outbox.
 */
export class DeliveryEngine {
  private readonly claims = new GroupCommit<DeliveryJob, Claim>((jobs) => this.claimBatch(jobs), GROUP);
  private readonly accepted = new GroupCommit<AcceptedAttempt, boolean>(
    (attempts) => this.settleAcceptedBatch(attempts),
    GROUP,
  );

  constructor(private readonly deps: DeliveryEngineDeps) {}

  async handle(job: DeliveryJob): Promise<AttemptResult> {
    const claimed = await this.claims.submit(job);
    if (claimed.kind === 'leased') return claimed;
    if (claimed.kind === 'stale') return { kind: 'done' };
    const { jobId } = job;
    const { row, recipients } = claimed;
    if (row.cancel_requested_at) return this.settle(jobId, row, []);
    let content: StoredContent;
    try {
      content = this.deps.notifications.content(row);
    } catch (error) {
      const failure = new DeliveryError((error as Error).message, true);
      return this.settle(
        jobId,
        row,
        recipients.map((recipient) => ({ position: recipient.position, error: failure })),
      );
    }
    const provider = this.deps.providers.get(row.provider_name);
    const attempt = row.attempts;
    const outcomes: Outcome[] = [];
    const queue = [...recipients];
    let cancelled = false;
    const worker = async () => {
      for (let recipient = queue.shift(); recipient; recipient = queue.shift()) {
        if (recipients.length > 1 && (await this.cancelRequested(row.id))) {
          cancelled = true;
          return;
        }
        const outcome = await this.sendOne(provider, row, recipient, content, attempt);
        outcomes.push(outcome);
        // With several recipients each acceptance is recorded at once: a crash mid-way does not resend it.
        if (outcome.accepted && recipients.length > 1) await this.recordAccepted(row.id, outcome);
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.deps.config.recipientConcurrency, recipients.length) }, worker),
    );
    const acceptedRecorded = recipients.length > 1;
    if (!cancelled && outcomes.every((outcome) => outcome.accepted)) {
      // The common case, settled together with the other attempts finishing now.
      if (await this.accepted.submit({ jobId, row, outcomes, acceptedRecorded })) {
        this.deps.logger.debug(
          { notificationId: row.id, provider: row.provider_name, attempt: row.attempts },
          'notification delivered',
        );
        return { kind: 'done' };
      }
    }
    return this.settle(jobId, row, outcomes, { cancelled, acceptedRecorded });
  }

  private async sendOne(
    provider: ReturnType<ProviderRegistry['get']>,
    row: NotificationRow,
    recipient: RecipientRow,
    content: StoredContent,
    attempt: number,
  ): Promise<Outcome> {
    if (!provider)
      return {
        position: recipient.position,
        error: new DeliveryError(`provider ${row.provider_name} is not configured`, true),
      };
    const target: DeliveryTarget = {
      notificationId: row.id,
      position: recipient.position,
      providerType: row.provider_type as ProviderType,
      recipient: { type: recipient.type, address: recipient.address, name: recipient.name },
      content,
      metadata: row.metadata,
      attempt,
    };
    try {
      const accepted = await provider.send(target, AbortSignal.timeout(this.deps.config.sendTimeoutMs));
      return { position: recipient.position, accepted: accepted.providerMessageId.slice(0, 500) };
    } catch (error) {
      const failure =
        error instanceof DeliveryError
          ? error
          : new DeliveryError(
              (error as Error)?.name === 'TimeoutError'
                ? `no answer within ${this.deps.config.sendTimeoutMs} ms`
                : String((error as Error)?.message ?? error),
              false,
            );
      return { position: recipient.position, error: failure };
    }
  }

  /**
   * Takes the notifications of these jobs, counting an attempt each, in one statement. A job whose
   * notification moved on (cancelled, purged, superseded by a retry, settled) is stale.
   */
  private async claimBatch(jobs: DeliveryJob[]): Promise<Claim[]> {
    const jobIds = jobs.map((job) => job.jobId);
    const result = await sql<NotificationRow & { pending: RecipientRow[] | null }>`
      WITH input AS (
        SELECT * FROM unnest(${jobs.map((job) => job.notificationId)}::text[], ${jobIds}::uuid[],
                             ${jobs.map((job) => job.leaseSeconds ?? null)}::int[]) AS v(id, job_id, lease)
      ), claimed AS (
        UPDATE notifications n
           SET status = 'processing', attempts = n.attempts + 1, updated_at = now(), next_attempt_at = NULL,
               claimed_at = now()
          FROM input v
         WHERE n.id = v.id AND n.job_id = v.job_id
           AND (n.status IN ('queued', 'retrying')
                OR (n.status = 'processing'
                    AND (v.lease IS NULL OR n.claimed_at IS NULL
                         OR n.claimed_at < now() - make_interval(secs => v.lease))))
           ${this.asyncCommit()}
        RETURNING n.*
      ), ledger AS (
        UPDATE message_ledger
           SET delivered_at = coalesce(delivered_at, now()), delivery_count = delivery_count + 1, status = 'unacked'
         WHERE queue = ${DELIVERY_QUEUE} AND message_id = ANY(${jobIds}::text[])
      )
      SELECT c.*,
             (SELECT json_agg(r ORDER BY r.position) FROM notification_recipients r
               WHERE r.notification_id = c.id AND r.status = 'pending') AS pending
        FROM claimed c`.execute(this.deps.db.kysely);
    const byJob = new Map<string, Claim>();
    for (const { pending, ...notification } of result.rows) {
      byJob.set(String(notification.job_id), {
        kind: 'claimed',
        row: notification as NotificationRow,
        recipients: (pending ?? []).map((recipient) => ({
          ...recipient,
          accepted_at: recipient.accepted_at ? new Date(recipient.accepted_at) : null,
        })),
      });
    }
    const unclaimed = jobs.filter((job) => !byJob.has(job.jobId));
    if (unclaimed.length > 0) {
      const held = await sql<{ job_id: string; retry_in_ms: number }>`
        SELECT n.job_id::text AS job_id,
               greatest(0, extract(epoch FROM n.claimed_at + make_interval(secs => v.lease) - now()) * 1000)::int
                 AS retry_in_ms
          FROM notifications n
          JOIN unnest(${unclaimed.map((job) => job.notificationId)}::text[], ${unclaimed.map((job) => job.jobId)}::uuid[],
                      ${unclaimed.map((job) => job.leaseSeconds ?? null)}::int[]) AS v(id, job_id, lease)
            ON n.id = v.id AND n.job_id = v.job_id
         WHERE n.status = 'processing' AND v.lease IS NOT NULL AND n.claimed_at IS NOT NULL`.execute(
        this.deps.db.kysely,
      );
      for (const entry of held.rows)
        byJob.set(entry.job_id, { kind: 'leased', retryInMs: entry.retry_in_ms });
      const stale = unclaimed.filter((job) => !byJob.has(job.jobId)).map((job) => job.jobId);
      if (stale.length > 0) {
        // Cancelled, purged, superseded by a retry, or already settled: nothing to do.
        await this.deps.db.kysely
          .updateTable('message_ledger')
          .set({ status: 'dropped', completed_at: new Date() })
          .where('queue', '=', DELIVERY_QUEUE)
          .where('message_id', 'in', stale)
          .execute();
      }
    }
    return jobs.map((job) => byJob.get(job.jobId) ?? { kind: 'stale' });
  }

  /**
   * Settles attempts whose every recipient accepted, in one transaction: delivered, recipients
   * recorded, ledger acknowledged, `notification.delivered.<provider>` in the outbox. An attempt
   * that cannot settle this way (cancel requested meanwhile, superseded) answers false and takes
   * the general path.
   */
  private async settleAcceptedBatch(attempts: AcceptedAttempt[]): Promise<boolean[]> {
    const accepted = attempts.flatMap((attempt) =>
      attempt.acceptedRecorded
        ? []
        : attempt.outcomes.map((outcome) => ({
            id: attempt.row.id,
            position: outcome.position,
            reply: outcome.accepted ?? '',
          })),
    );
    const delivered = attempts.map((attempt) => ({
      key: attempt.row.id,
      message: statusMessage({
        id: attempt.row.id,
        providerType: attempt.row.provider_type,
        status: 'delivered',
        attempt: attempt.row.attempts,
      }),
    }));
    // One statement, so one round trip and atomic: the settlements, their recipients, their ledger
    // entries and `notification.delivered.<provider>` of exactly the attempts settled.
    const done = await sql<{ id: string }>`
      WITH input AS (
        SELECT * FROM unnest(${attempts.map((attempt) => attempt.row.id)}::text[],
                             ${attempts.map((attempt) => attempt.jobId)}::uuid[]) AS v(id, job_id)
      ), accepted AS (
        SELECT * FROM unnest(${accepted.map((entry) => entry.id)}::text[], ${accepted.map((entry) => entry.position)}::int[],
                             ${accepted.map((entry) => entry.reply)}::text[]) AS a(id, position, reply)
      ), settled AS (
        UPDATE notifications n
           SET status = 'delivered', delivered_at = now(), updated_at = now(), job_id = NULL, last_error = NULL,
               sealed_content = CASE WHEN n.sensitive THEN NULL ELSE n.sealed_content END
          FROM input v
         WHERE n.id = v.id AND n.job_id = v.job_id AND n.status = 'processing' AND n.cancel_requested_at IS NULL
           AND NOT EXISTS (
             SELECT 1 FROM notification_recipients r
              WHERE r.notification_id = n.id AND r.status <> 'accepted'
                AND NOT EXISTS (SELECT 1 FROM accepted a WHERE a.id = r.notification_id AND a.position = r.position))
           ${this.asyncCommit()}
        RETURNING n.id, v.job_id
      ), recipients AS (
        UPDATE notification_recipients r
           SET status = 'accepted', accepted_at = now(), provider_message_id = a.reply, last_error = NULL
          FROM accepted a
         WHERE r.notification_id = a.id AND r.position = a.position AND a.id IN (SELECT id FROM settled)
      ), ledger AS (
        UPDATE message_ledger SET status = 'acked', completed_at = now()
         WHERE queue = ${DELIVERY_QUEUE} AND message_id IN (SELECT job_id::text FROM settled)
      ), events AS (${this.deps.outbox.publishManyWhere(delivered, sql`SELECT id FROM settled`)})
      SELECT id FROM settled`.execute(this.deps.db.kysely);
    const settled = new Set(done.rows.map((row) => row.id));
    return attempts.map((attempt) => settled.has(attempt.row.id));
  }

  private async cancelRequested(id: string): Promise<boolean> {
    const row = await this.deps.db.kysely
      .selectFrom('notifications')
      .select('cancel_requested_at')
      .where('id', '=', id)
      .executeTakeFirst();
    return Boolean(row?.cancel_requested_at);
  }

  /**
   * With NOTIFICATION_ASYNC_COMMIT, a condition that makes the statement's own transaction commit
   * without waiting for the WAL flush (set_config, local to that transaction); otherwise nothing.
   */
  private asyncCommit() {
    return this.deps.config.asyncCommit
      ? sql`AND set_config('synchronous_commit', 'off', true) IS NOT NULL`
      : sql``;
  }

  private async recordAccepted(id: string, outcome: Outcome): Promise<void> {
    await this.deps.db.kysely
      .updateTable('notification_recipients')
      .set({
        status: 'accepted',
        accepted_at: new Date(),
        provider_message_id: outcome.accepted ?? null,
        last_error: null,
      })
      .where('notification_id', '=', id)
      .where('position', '=', outcome.position)
      .execute();
  }

  /** Settles the attempt in one transaction. */
  private async settle(
    jobId: string,
    claimed: NotificationRow,
    outcomes: Outcome[],
    options: { cancelled?: boolean; acceptedRecorded?: boolean } = {},
  ): Promise<AttemptResult> {
    const { db, outbox, config } = this.deps;
    let logLine: { status: NotificationStatus; error?: string; delayMs?: number } | undefined;
    let deadLetterId: string | undefined;
    await db.transaction(async (trx) => {
      if (config.asyncCommit) await sql`SET LOCAL synchronous_commit = off`.execute(trx);
      const row = await trx
        .selectFrom('notifications')
        .selectAll()
        .where('id', '=', claimed.id)
        .forUpdate()
        .executeTakeFirst();
      if (!row || row.job_id !== jobId || row.status !== 'processing') {
        await this.completeLedger(trx, jobId, 'dropped');
        return;
      }
      const now = new Date();
      if (!options.acceptedRecorded) {
        for (const outcome of outcomes.filter((entry) => entry.accepted)) {
          await trx
            .updateTable('notification_recipients')
            .set({
              status: 'accepted',
              accepted_at: now,
              provider_message_id: outcome.accepted ?? null,
              last_error: null,
            })
            .where('notification_id', '=', row.id)
            .where('position', '=', outcome.position)
            .execute();
        }
      }
      const permanent = outcomes.filter((entry) => entry.error?.permanent);
      const transient = outcomes.filter((entry) => entry.error && !entry.error.permanent);
      for (const outcome of [...permanent, ...transient]) {
        await trx
          .updateTable('notification_recipients')
          .set({
            status: outcome.error?.permanent ? 'failed' : 'pending',
            last_error: outcome.error?.message.slice(0, MAX_ERROR) ?? null,
          })
          .where('notification_id', '=', row.id)
          .where('position', '=', outcome.position)
          .execute();
      }
      const remaining = await trx
        .selectFrom('notification_recipients')
        .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
        .where('notification_id', '=', row.id)
        .groupBy('status')
        .execute();
      const count = (status: string) =>
        Number(remaining.find((entry) => entry.status === status)?.count ?? 0);
      const pending = count('pending');
      const failed = count('failed');
      const firstError = (permanent[0] ?? transient[0])?.error?.message.slice(0, MAX_ERROR) ?? row.last_error;
      const attemptsInBudget = row.attempts - row.budget_start;

      let status: NotificationStatus;
      if (pending === 0 && failed === 0) status = 'delivered';
      else if (row.cancel_requested_at || options.cancelled) status = 'cancelled';
      else if (pending > 0 && attemptsInBudget <= row.max_retries) status = 'retrying';
      else status = 'failed';

      const base = { updated_at: now, last_error: status === 'delivered' ? null : firstError };
      if (status === 'delivered') {
        await trx
          .updateTable('notifications')
          .set({
            ...base,
            status,
            delivered_at: now,
            job_id: null,
            ...(row.sensitive ? { sealed_content: null } : {}),
          })
          .where('id', '=', row.id)
          .execute();
      } else if (status === 'cancelled') {
        await trx
          .updateTable('notifications')
          .set({ ...base, status, cancelled_at: now, job_id: null })
          .where('id', '=', row.id)
          .execute();
      } else if (status === 'retrying') {
        const retryAfter = Math.max(0, ...transient.map((entry) => entry.error?.retryAfterMs ?? 0));
        const delayMs = retryDelayMs(config, attemptsInBudget, retryAfter || undefined);
        const next = new Date(now.getTime() + delayMs);
        const nextJob = newJobId();
        await trx
          .updateTable('notifications')
          .set({ ...base, status, job_id: nextJob, next_attempt_at: next })
          .where('id', '=', row.id)
          .execute();
        await this.deps.queue.enqueue(trx, [
          {
            jobId: nextJob,
            notificationId: row.id,
            priority: row.priority,
            startAfter: next,
            delayMs,
            expireInSeconds: attemptBudgetSeconds(config, pending),
          },
        ]);
        logLine = { status, delayMs, ...(firstError ? { error: firstError } : {}) };
      } else {
        await trx
          .updateTable('notifications')
          .set({ ...base, status, failed_at: now, job_id: null })
          .where('id', '=', row.id)
          .execute();
        deadLetterId = await this.deadLetter(
          trx,
          row,
          jobId,
          firstError ?? 'delivery failed',
          attemptsInBudget,
        );
      }
      logLine ??= { status, ...(firstError && status !== 'delivered' ? { error: firstError } : {}) };
      await publishStatus(outbox, trx, {
        id: row.id,
        providerType: row.provider_type,
        status,
        attempt: row.attempts,
        error: firstError,
      });
      await this.completeLedger(trx, jobId, 'acked');
    });
    if (logLine) {
      const fields = {
        notificationId: claimed.id,
        provider: claimed.provider_name,
        attempt: claimed.attempts,
        ...logLine,
      };
      if (logLine.status === 'failed') this.deps.logger.warn(fields, 'notification failed; dead-lettered');
      else if (logLine.status === 'retrying')
        this.deps.logger.info(fields, 'notification attempt failed; will retry');
      else this.deps.logger.debug(fields, `notification ${logLine.status}`);
    }
    return deadLetterId ? { kind: 'dead-lettered', deadLetterId } : { kind: 'done' };
  }

  private async completeLedger(trx: Transaction<NotificationDatabase>, jobId: string, status: string) {
    await trx
      .updateTable('message_ledger')
      .set({ status, completed_at: new Date() })
      .where('queue', '=', DELIVERY_QUEUE)
      .where('message_id', '=', jobId)
      .execute();
  }

  /** `notification.events.dlq`: the reason, the attempts of this budget and what was to be sent. */
  private async deadLetter(
    trx: Transaction<NotificationDatabase>,
    row: NotificationRow,
    jobId: string,
    reason: string,
    attempts: number,
  ): Promise<string> {
    const recipients = await trx
      .selectFrom('notification_recipients')
      .select(['position', 'type', 'address', 'name', 'status', 'last_error'])
      .where('notification_id', '=', row.id)
      .where('status', '!=', 'accepted')
      .orderBy('position')
      .execute();
    const id = newDeadLetterId();
    const payload = {
      notification_id: row.id,
      provider_type: row.provider_type,
      provider_name: row.provider_name,
      priority: row.priority,
      recipients,
      content: row.content,
      metadata: row.metadata,
    };
    await trx
      .insertInto('dead_letters')
      .values({
        id,
        notification_id: row.id,
        message_id: jobId,
        source_queue: DELIVERY_QUEUE,
        reason,
        attempts,
        payload: JSON.stringify(payload),
      })
      .execute();
    await trx
      .insertInto('message_ledger')
      .values({
        queue: DEAD_LETTER_QUEUE,
        message_id: id,
        payload: JSON.stringify(payload),
        headers: JSON.stringify({ reason: reason.slice(0, 200), attempts: String(attempts) }),
        status: 'ready',
      })
      .execute();
    return id;
  }
}
