import type { Outbox } from '@trustplane/kernel';
import type { Logger } from 'pino';
import type { NotificationConfig, ProviderType } from '../config.js';
import type { RecipientRow } from '../db/notification-recipients-repository.js';
import type { NotificationRow } from '../db/notifications-repository.js';
import type { NotificationRepositories, NotificationTransaction } from '../db/repositories.js';
import type { NotificationStatus, StoredContent } from '../db/schema.js';
import { DeliveryError, type DeliveryTarget } from '../providers/provider.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { type DeliveryQueue, newJobId } from '../queue/delivery-queue.js';
import { DEAD_LETTER_QUEUE, DELIVERY_QUEUE } from '../queue/names.js';
import { GroupCommit } from './group-commit.js';
import { newDeadLetterId } from './ids.js';
import { attemptBudgetSeconds, type Notifications, publishStatus, statusMessage } from './notifications.js';

export interface DeliveryEngineDeps {
  repositories: NotificationRepositories;
  notifications: Notifications;
  providers: ProviderRegistry;
  queue: DeliveryQueue;
  outbox: Pick<Outbox, 'publish' | 'publishMany'>;
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
    const { notifications, messageLedger } = this.deps.repositories;
    const attempt = (job: DeliveryJob) => ({
      id: job.notificationId,
      jobId: job.jobId,
      leaseSeconds: job.leaseSeconds ?? null,
    });
    const byJob = new Map<string, Claim>();
    for (const { row, pending } of await notifications.claimAttempts(jobs.map(attempt), DELIVERY_QUEUE))
      byJob.set(String(row.job_id), { kind: 'claimed', row, recipients: pending });
    const unclaimed = jobs.filter((job) => !byJob.has(job.jobId));
    if (unclaimed.length > 0) {
      for (const held of await notifications.leaseHolds(unclaimed.map(attempt)))
        byJob.set(held.jobId, { kind: 'leased', retryInMs: held.retryInMs });
      // Cancelled, purged, superseded by a retry, or already settled: nothing to do.
      const stale = unclaimed.filter((job) => !byJob.has(job.jobId)).map((job) => job.jobId);
      await messageLedger.complete(DELIVERY_QUEUE, stale, 'dropped');
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
    const settled = await this.deps.repositories.transaction(async (tx) => {
      const done = await tx.notifications.settleAccepted(
        attempts.map((attempt) => ({ id: attempt.row.id, jobId: attempt.jobId })),
        accepted,
        DELIVERY_QUEUE,
      );
      await this.deps.outbox.publishMany(
        tx.executor,
        done.map((row) =>
          statusMessage({
            id: row.id,
            providerType: row.provider_type,
            status: 'delivered',
            attempt: row.attempts,
          }),
        ),
      );
      return new Set(done.map((row) => row.id));
    });
    return attempts.map((attempt) => settled.has(attempt.row.id));
  }

  private cancelRequested(id: string): Promise<boolean> {
    return this.deps.repositories.notifications.isCancelRequested(id);
  }

  private async recordAccepted(id: string, outcome: Outcome): Promise<void> {
    await this.deps.repositories.recipients.markAccepted(
      id,
      outcome.position,
      outcome.accepted ?? null,
      new Date(),
    );
  }

  /** Settles the attempt in one transaction. */
  private async settle(
    jobId: string,
    claimed: NotificationRow,
    outcomes: Outcome[],
    options: { cancelled?: boolean; acceptedRecorded?: boolean } = {},
  ): Promise<AttemptResult> {
    const { repositories, outbox, config } = this.deps;
    let logLine: { status: NotificationStatus; error?: string; delayMs?: number } | undefined;
    let deadLetterId: string | undefined;
    // Losing this commit to a power cut (not a process crash) only means the attempt runs again:
    // at least once either way, so the WAL flush is not waited for.
    await repositories.transaction(
      async (tx) => {
        const row = await tx.notifications.lock(claimed.id);
        if (!row || row.job_id !== jobId || row.status !== 'processing') {
          await tx.messageLedger.complete(DELIVERY_QUEUE, [jobId], 'dropped');
          return;
        }
        const now = new Date();
        if (!options.acceptedRecorded) {
          for (const outcome of outcomes.filter((entry) => entry.accepted))
            await tx.recipients.markAccepted(row.id, outcome.position, outcome.accepted ?? null, now);
        }
        const permanent = outcomes.filter((entry) => entry.error?.permanent);
        const transient = outcomes.filter((entry) => entry.error && !entry.error.permanent);
        for (const outcome of [...permanent, ...transient]) {
          await tx.recipients.markRefused(row.id, outcome.position, {
            permanent: outcome.error?.permanent === true,
            error: outcome.error?.message.slice(0, MAX_ERROR) ?? null,
          });
        }
        const { pending, failed } = await tx.recipients.countByStatus(row.id);
        const firstError =
          (permanent[0] ?? transient[0])?.error?.message.slice(0, MAX_ERROR) ?? row.last_error;
        const attemptsInBudget = row.attempts - row.budget_start;

        let status: NotificationStatus;
        if (pending === 0 && failed === 0) status = 'delivered';
        else if (row.cancel_requested_at || options.cancelled) status = 'cancelled';
        else if (pending > 0 && attemptsInBudget <= row.max_retries) status = 'retrying';
        else status = 'failed';

        if (status === 'delivered') {
          await tx.notifications.settle(row.id, { status, wipeSealedContent: row.sensitive }, now);
        } else if (status === 'cancelled') {
          await tx.notifications.settle(row.id, { status, lastError: firstError }, now);
        } else if (status === 'retrying') {
          const retryAfter = Math.max(0, ...transient.map((entry) => entry.error?.retryAfterMs ?? 0));
          const delayMs = retryDelayMs(config, attemptsInBudget, retryAfter || undefined);
          const next = new Date(now.getTime() + delayMs);
          const nextJob = newJobId();
          await tx.notifications.settle(
            row.id,
            { status, lastError: firstError, jobId: nextJob, nextAttemptAt: next },
            now,
          );
          await this.deps.queue.enqueue(tx, [
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
          await tx.notifications.settle(row.id, { status, lastError: firstError }, now);
          deadLetterId = await this.deadLetter(
            tx,
            row,
            jobId,
            firstError ?? 'delivery failed',
            attemptsInBudget,
          );
        }
        logLine ??= { status, ...(firstError && status !== 'delivered' ? { error: firstError } : {}) };
        await publishStatus(outbox, tx.executor, {
          id: row.id,
          providerType: row.provider_type,
          status,
          attempt: row.attempts,
          error: firstError,
        });
        await tx.messageLedger.complete(DELIVERY_QUEUE, [jobId], 'acked');
      },
      { synchronousCommit: false },
    );
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

  /** `notification.events.dlq`: the reason, the attempts of this budget and what was to be sent. */
  private async deadLetter(
    tx: NotificationTransaction,
    row: NotificationRow,
    jobId: string,
    reason: string,
    attempts: number,
  ): Promise<string> {
    const id = newDeadLetterId();
    const payload = {
      notification_id: row.id,
      provider_type: row.provider_type,
      provider_name: row.provider_name,
      priority: row.priority,
      recipients: await tx.recipients.listUnaccepted(row.id),
      content: row.content,
      metadata: row.metadata,
    };
    await tx.deadLetters.insert({
      id,
      notification_id: row.id,
      message_id: jobId,
      source_queue: DELIVERY_QUEUE,
      reason,
      attempts,
      payload,
    });
    await tx.messageLedger.insertMany([
      {
        queue: DEAD_LETTER_QUEUE,
        message_id: id,
        payload,
        headers: { reason: reason.slice(0, 200), attempts: String(attempts) },
        status: 'ready',
      },
    ]);
    return id;
  }
}
