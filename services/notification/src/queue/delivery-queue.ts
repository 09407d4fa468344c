import { randomUUID } from 'node:crypto';
import { defineJob, type JobQueue } from '@trustplane/kernel';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { NotificationConfig } from '../config.js';
import type { NotificationDatabase, Priority } from '../db/schema.js';
import { DELIVERY_QUEUE } from './names.js';

/** pg-boss priorities: higher is fetched first. */
export const PRIORITY_RANK: Record<Priority, number> = { low: 0, normal: 10, high: 20, urgent: 30 };

/** One attempt to schedule: the job `jobId` works notification `notificationId`. */
export interface DeliverySpec {
  jobId: string;
  notificationId: string;
  priority: Priority;
  startAfter: Date | null;
  /** The attempt's budget: a run taking longer is failed, and presumed crashed soon after. */
  expireInSeconds: number;
}

export interface DeliveryJobData {
  notification_id: string;
}

export const newJobId = () => randomUUID();

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
    // Loops of 4 jobs each: about NOTIFICATION_WORKER_CONCURRENCY jobs in flight per process.
    concurrency: Math.max(1, Math.ceil(config.workerConcurrency / 4)),
    batchSize: Math.min(4, config.workerConcurrency),
    pollingIntervalSeconds: config.pollingIntervalSeconds,
    handle: (payload, job) => options.handle(job.id, payload.notification_id),
  });
}

export type DeliveryJob = ReturnType<typeof deliveryJob>;

/**
 * Delivery attempts as pg-boss jobs on `notification.delivery.queue`, written in the caller's
 * transaction together with their ledger rows: the notification and its first attempt exist
 * together or not at all. A job whose worker dies is failed by pg-boss maintenance once its
 * budget has passed and retried (up to 3 times; the notification's own retries are separate jobs).
 */
export class DeliveryQueue {
  readonly name = DELIVERY_QUEUE;

  constructor(
    private readonly jobs: JobQueue,
    private readonly job: DeliveryJob,
  ) {}

  async enqueue(trx: Transaction<NotificationDatabase>, specs: DeliverySpec[]): Promise<void> {
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
        { transaction: trx },
      );
      await trx
        .insertInto('message_ledger')
        .values(
          chunk.map((spec) => ({
            queue: DELIVERY_QUEUE,
            message_id: spec.jobId,
            payload: JSON.stringify({ notification_id: spec.notificationId }),
            headers: JSON.stringify({ priority: spec.priority }),
            status: spec.startAfter && spec.startAfter.getTime() > Date.now() ? 'delayed' : 'ready',
          })),
        )
        .execute();
    }
  }

  /** Cancels waiting jobs in the caller's transaction (a cancelled notification's next attempt). */
  async cancel(trx: Transaction<NotificationDatabase>, jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await this.jobs.cancel(this.job, jobIds, { transaction: trx });
    await trx
      .updateTable('message_ledger')
      .set({ status: 'cancelled', completed_at: new Date() })
      .where('queue', '=', DELIVERY_QUEUE)
      .where('message_id', 'in', jobIds)
      .where('completed_at', 'is', null)
      .execute();
  }
}
