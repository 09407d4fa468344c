import type { Outbox } from '@trustplane/kernel';
import type { NotificationRepositories } from '../db/repositories.js';
import type { BrokerDeadLetter } from '../queue/amqp-delivery.js';
import { DEAD_LETTER_QUEUE, DELIVERY_QUEUE } from '../queue/names.js';
import { notificationErrors } from './errors.js';
import { NOTIFICATION_ID, newDeadLetterId } from './ids.js';
import type { Intake } from './intake.js';
import { type Notifications, publishStatus } from './notifications.js';

export interface DeadLetterView {
  id: string;
  notification_id: string | null;
  message_id: string | null;
  source_queue: string;
  reason: string;
  attempts: number;
  payload: unknown;
  created_at: string;
}

function visible(payload: unknown): unknown {
  if (!payload || typeof payload !== 'object') return payload;
  const { sealed_token: _sealed, _bus: _envelope, ...rest } = payload as Record<string, unknown>;
  return rest;
}

/** `notification.events.dlq` for operators: list, replay (once), purge. */
export class DeadLetters {
  constructor(
    private readonly repositories: NotificationRepositories,
    private readonly notifications: Notifications,
    private readonly intake: Intake,
    private readonly outbox: Pick<Outbox, 'publish'>,
  ) {}

  /**
   * With AMQP_URL, what the broker dead-lettered into `notification.events.dlq` (its DLX). An
   * attempt the service dead-lettered itself (failed for good) is already here: the broker's
   * history is noted on it. Anything else — an undecodable attempt — becomes a dead letter now,
   * and the notification still waiting on that attempt fails (RetryNotification revives it).
   * Idempotent per message id: a redelivered copy changes nothing.
   */
  async recordBroker(message: BrokerDeadLetter): Promise<void> {
    const broker = { 'x-broker-queue': DEAD_LETTER_QUEUE, ...message.deaths };
    await this.repositories.transaction(async (tx) => {
      const known = message.messageId ? await tx.deadLetters.findIdByMessage(message.messageId) : undefined;
      if (known) {
        await tx.messageLedger.mergeHeaders(DEAD_LETTER_QUEUE, known, broker);
        return;
      }
      const reason = `dead-lettered by RabbitMQ (${message.reason} in ${message.queue}): the attempt could not be decoded`;
      const payloadId = (message.payload as { notification_id?: unknown } | null)?.notification_id;
      const notification =
        typeof payloadId === 'string' && NOTIFICATION_ID.test(payloadId) && message.messageId
          ? await tx.notifications.lockAttemptHolder(
              payloadId,
              [message.messageId],
              ['queued', 'retrying', 'processing'],
            )
          : undefined;
      if (notification) {
        await tx.notifications.settle(notification.id, { status: 'failed', lastError: reason }, new Date());
        await publishStatus(this.outbox, tx.executor, {
          id: notification.id,
          providerType: notification.provider_type,
          status: 'failed',
          attempt: notification.attempts,
          error: reason,
        });
      }
      const id = newDeadLetterId();
      const fromDelivery =
        message.queue === DELIVERY_QUEUE || message.queue.startsWith('notification.delivery.');
      await tx.deadLetters.insert({
        id,
        notification_id: notification?.id ?? null,
        message_id: message.messageId ?? null,
        source_queue: fromDelivery ? DELIVERY_QUEUE : message.queue,
        reason,
        attempts: notification ? notification.attempts - notification.budget_start : 0,
        payload: message.payload ?? null,
      });
      await tx.messageLedger.insertMany([
        {
          queue: DEAD_LETTER_QUEUE,
          message_id: id,
          payload: message.payload ?? null,
          headers: { reason: reason.slice(0, 200), ...broker },
          status: 'ready',
        },
      ]);
    });
  }

  async list(limit = 100): Promise<DeadLetterView[]> {
    const rows = await this.repositories.deadLetters.listPending(Math.min(Math.max(limit, 1), 10_000));
    return rows.map((row) => ({
      id: row.id,
      notification_id: row.notification_id,
      message_id: row.message_id,
      source_queue: row.source_queue,
      reason: row.reason,
      attempts: row.attempts,
      payload: visible(row.payload),
      created_at: row.created_at.toISOString(),
    }));
  }

  /** Replays one dead letter (or every pending one): a failed notification gets a fresh budget; a rejected message is processed again. */
  async replay(id: string | undefined): Promise<{ replayed: string[] }> {
    const ids = id ? [id] : (await this.list(10_000)).map((entry) => entry.id);
    if (id !== undefined && !/^dlq_[0-9A-HJKMNP-TV-Z]{26}$/.test(id))
      throw notificationErrors.invalidArgument('id', 'must look like dlq_<ULID>');
    const replayed: string[] = [];
    for (const entry of ids) {
      const row = await this.repositories.deadLetters.find(entry);
      if (!row) throw notificationErrors.notFound(`dead letter ${entry} not found`);
      if (row.replayed_at)
        throw notificationErrors.failedPrecondition(`dead letter ${entry} was already replayed`);
      if (row.notification_id && row.source_queue === DELIVERY_QUEUE) {
        await this.notifications.retry(row.notification_id, { deadLetterId: row.id });
      } else if (row.source_queue === DELIVERY_QUEUE) {
        throw notificationErrors.failedPrecondition(
          `dead letter ${entry} carries no notification to retry; purge it (dlq purge --id ${entry})`,
        );
      } else {
        await this.intake.replay(row);
      }
      replayed.push(entry);
    }
    return { replayed };
  }

  async purge(id: string | undefined): Promise<{ purged: number }> {
    const removed = await this.repositories.deadLetters.deletePending(id);
    if (id && removed.length === 0) throw notificationErrors.notFound(`dead letter ${id} not found`);
    return { purged: removed.length };
  }
}
