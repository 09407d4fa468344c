import { randomUUID } from 'node:crypto';
import { defineJob, type JobQueue } from '@trustplane/kernel';
import { z } from 'zod';
import type { NotificationConfig } from '../config.js';
import type { LedgerInsert } from '../db/message-ledger-repository.js';
import type { NotificationTransaction } from '../db/repositories.js';
import type { Priority } from '../db/schema.js';
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
  /** The attempt's budget: a run taking longer is failed, and presumed crashed soon after. */
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
  enqueue(tx: NotificationTransaction, specs: DeliverySpec[]): Promise<void>;
  /** Cancels waiting attempts in the caller's transaction (a cancelled notification's next one). */
  cancel(tx: NotificationTransaction, jobIds: string[]): Promise<void>;
}

/** The ledger rows of new attempts (GetMessageDetails, rates). */
export function attemptLedgerEntries(
  specs: DeliverySpec[],
  headers: (spec: DeliverySpec) => Record<string, string> = (spec) => ({ priority: spec.priority }),
): LedgerInsert[] {
  return specs.map((spec) => ({
    queue: DELIVERY_QUEUE,
    message_id: spec.jobId,
    payload: { notification_id: spec.notificationId },
    headers: headers(spec),
    status: spec.startAfter && spec.startAfter.getTime() > Date.now() ? 'delayed' : 'ready',
  }));
}

export const newJobId = () => randomUUID();

/** Delivery jobs one worker loop fetches and runs side by side (pg-boss batch). */
const DELIVERY_BATCH = 8;

/**
 * One delivery attempt of a notification. Every attempt carries its own budget (recipients × send
 * timeout); the crash guarantee is pg-boss's expiry of that budget, as before the job shape: no
 * heartbeat-based liveness here, which could hand a live worker's attempt (one whose heartbeat
 * cannot reach the database while its SMTP transaction goes on) to a second worker and send twice.
 */
export function deliveryJob(options: {
  config: NotificationConfig;
  handle(jobId: string, notificationId: string): Promise<void>;
}) {
  const { config } = options;
  return defineJob({
    name: DELIVERY_QUEUE,
    version: 1,
    payload: z.object({ notification_id: z.string() }),
    retry: { limit: 3, delaySeconds: 2, backoff: true },
    // The default; each attempt is sent with its own (`DeliverySpec.expireInSeconds`).
    timeoutSeconds: 890,
    // Loops of DELIVERY_BATCH jobs each: about NOTIFICATION_WORKER_CONCURRENCY jobs in flight per
    // process. Every fetch sorts the waiting backlog by priority, so fewer, larger fetches cut
    // PostgreSQL's work (batches of 8 used about a quarter less PostgreSQL CPU per mail than 4 in
    // bench/notification.ts; 16 saved no more, and a loop waits for its slowest job).
    concurrency: Math.max(1, Math.ceil(config.workerConcurrency / DELIVERY_BATCH)),
    batchSize: Math.min(DELIVERY_BATCH, config.workerConcurrency),
    pollingIntervalSeconds: config.pollingIntervalSeconds,
    handle: (payload, job) => options.handle(job.id, payload.notification_id),
  });
}

export type DeliveryJobDefinition = ReturnType<typeof deliveryJob>;

/**
 * Delivery attempts as pg-boss jobs on `notification.delivery.queue`, written in the caller's
 * transaction together with their ledger rows: the notification and its first attempt exist
 * together or not at all. A job whose worker dies is failed by pg-boss maintenance once its
 * budget has passed and retried (up to 3 times; the notification's own retries are separate jobs).
 */
export class PgBossDeliveryQueue implements DeliveryQueue {
  readonly backend = 'pg-boss' as const;

  constructor(
    private readonly jobs: JobQueue,
    private readonly job: DeliveryJobDefinition,
  ) {}

  async enqueue(tx: NotificationTransaction, specs: DeliverySpec[]): Promise<void> {
    if (specs.length === 0) return;
    for (let start = 0; start < specs.length; start += 1000) {
      const chunk = specs.slice(start, start + 1000);
      // Due ones wake the workers of every process when the transaction commits.
      await this.jobs.sendMany(
        this.job,
        chunk.map((spec) => ({
          id: spec.jobId,
          payload: { notification_id: spec.notificationId },
          priority: PRIORITY_RANK[spec.priority],
          ...(spec.startAfter ? { startAfter: spec.startAfter } : {}),
          timeoutSeconds: spec.expireInSeconds,
        })),
        { transaction: tx.executor },
      );
      await tx.messageLedger.insertMany(attemptLedgerEntries(chunk));
    }
  }

  /** Cancels waiting jobs in the caller's transaction (a cancelled notification's next attempt). */
  async cancel(tx: NotificationTransaction, jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await this.jobs.cancel(this.job, jobIds, { transaction: tx.executor });
    await tx.messageLedger.markCancelled(DELIVERY_QUEUE, jobIds);
  }
}
