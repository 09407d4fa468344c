import { randomUUID } from 'node:crypto';
import { type JobQueue, transactionExecutor } from '@trustplane/kernel';
import type { Transaction } from 'kysely';
import type { NotificationDatabase, Priority } from '../db/schema.js';
import { DELIVERY_QUEUE } from './names.js';

/** pg-boss priorities: higher is fetched first. */
export const PRIORITY_RANK: Record<Priority, number> = { low: 0, normal: 10, high: 20, urgent: 30 };
/** AMQP message priorities, for a queue declared with `x-max-priority: 3`. */
export const AMQP_PRIORITY: Record<Priority, number> = { low: 0, normal: 1, high: 2, urgent: 3 };

/** One attempt to schedule: the job `jobId` works notification `notificationId`. */
export interface DeliverySpec {
  jobId: string;
  notificationId: string;
  priority: Priority;
  startAfter: Date | null;
  /** The wait before `startAfter` as the caller chose it (a backoff step); scheduled times have none. */
  delayMs?: number;
  /** A run taking longer is presumed crashed; the queue then runs it again. */
  expireInSeconds: number;
}

export interface DeliveryJobData {
  notification_id: string;
  /** AMQP mode: the attempt's budget, after which a copy may claim a `processing` notification. */
  lease_seconds?: number;
  /** AMQP mode, attempts held in PostgreSQL: the priority to publish them with. */
  priority?: Priority;
}

/** Where delivery attempts wait and run: pg-boss (embedded) or RabbitMQ (AMQP_URL). */
export interface DeliveryQueue {
  readonly backend: 'pg-boss' | 'rabbitmq';
  /** Stores the attempts in the caller's transaction: they exist iff it commits. */
  enqueue(trx: Transaction<NotificationDatabase>, specs: DeliverySpec[]): Promise<void>;
  /** Cancels waiting attempts in the caller's transaction (a cancelled notification's next one). */
  cancel(trx: Transaction<NotificationDatabase>, jobIds: string[]): Promise<void>;
}

/** The ledger rows of new attempts (GetMessageDetails, rates). */
export async function recordAttempts(
  trx: Transaction<NotificationDatabase>,
  specs: DeliverySpec[],
  headers: (spec: DeliverySpec) => Record<string, string> = (spec) => ({ priority: spec.priority }),
): Promise<void> {
  if (specs.length === 0) return;
  await trx
    .insertInto('message_ledger')
    .values(
      specs.map((spec) => ({
        queue: DELIVERY_QUEUE,
        message_id: spec.jobId,
        payload: JSON.stringify({ notification_id: spec.notificationId }),
        headers: JSON.stringify(headers(spec)),
        status: spec.startAfter && spec.startAfter.getTime() > Date.now() ? 'delayed' : 'ready',
      })),
    )
    .execute();
}

/** Marks cancelled attempts in the ledger. */
export async function recordCancelled(
  trx: Transaction<NotificationDatabase>,
  jobIds: string[],
): Promise<void> {
  await trx
    .updateTable('message_ledger')
    .set({ status: 'cancelled', completed_at: new Date() })
    .where('queue', '=', DELIVERY_QUEUE)
    .where('message_id', 'in', jobIds)
    .where('completed_at', 'is', null)
    .execute();
}

export const newJobId = () => randomUUID();

/**
 * Delivery attempts as pg-boss jobs on `notification.delivery.queue`, written in the caller's
 * transaction together with their ledger rows: the notification and its first attempt exist
 * together or not at all. A job whose worker dies is failed by pg-boss maintenance after
 * `expireInSeconds` and retried (up to 3 times; the notification's own retries are separate jobs).
 */
export class PgBossDeliveryQueue implements DeliveryQueue {
  readonly backend = 'pg-boss' as const;

  constructor(private readonly jobs: JobQueue) {}

  async enqueue(trx: Transaction<NotificationDatabase>, specs: DeliverySpec[]): Promise<void> {
    if (specs.length === 0) return;
    await this.jobs.ensureQueue(DELIVERY_QUEUE);
    const db = transactionExecutor(trx);
    for (let start = 0; start < specs.length; start += 1000) {
      const chunk = specs.slice(start, start + 1000);
      await this.jobs.boss.insert(
        chunk.map((spec) => ({
          id: spec.jobId,
          name: DELIVERY_QUEUE,
          data: { notification_id: spec.notificationId } satisfies DeliveryJobData,
          priority: PRIORITY_RANK[spec.priority],
          ...(spec.startAfter ? { startAfter: spec.startAfter } : {}),
          expireInSeconds: spec.expireInSeconds,
          retryLimit: 3,
          retryDelay: 2,
          retryBackoff: true,
        })),
        { db },
      );
      await recordAttempts(trx, chunk);
    }
    // Due now: the workers of every process wake when the transaction commits.
    if (specs.some((spec) => !spec.startAfter || spec.startAfter.getTime() <= Date.now()))
      await this.jobs.announce(trx, DELIVERY_QUEUE);
  }

  /** Cancels waiting jobs in the caller's transaction (a cancelled notification's next attempt). */
  async cancel(trx: Transaction<NotificationDatabase>, jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await this.jobs.ensureQueue(DELIVERY_QUEUE);
    await this.jobs.boss.cancel(DELIVERY_QUEUE, jobIds, { db: transactionExecutor(trx) });
    await recordCancelled(trx, jobIds);
  }
}
