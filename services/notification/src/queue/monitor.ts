import os from 'node:os';
import { type Channel, type ChannelModel, connect as connectAmqp } from 'amqplib';
import type { JobQueue } from '@trustplane/kernel';
import type { Logger } from 'pino';
import type { NotificationRepositories } from '../db/repositories.js';
import { notificationErrors } from '../domain/errors.js';
import type { Notifications } from '../domain/notifications.js';
import type { RetryBand } from './amqp-delivery.js';
import {
  DEAD_LETTER_QUEUE,
  DELIVERY_QUEUE,
  HELD_QUEUE,
  isServiceQueue,
  SERVICE_QUEUES,
  type ServiceQueue,
} from './names.js';

export interface QueueStats {
  queue_name: string;
  message_count: number;
  consumer_count: number;
  rate: number;
  avg_processing_time: number;
  messages_ready: number;
  messages_unacknowledged: number;
  publish_rate: number;
}

export interface QueueInfo {
  name: string;
  durable: boolean;
  auto_delete: boolean;
  arguments: Record<string, string>;
  created_at: Date;
  backend: string;
}

export interface ConsumerInfo {
  consumer_tag: string;
  queue_name: string;
  ack_count: number;
  unack_count: number;
  prefetch_count: number;
  connected_at: Date;
  last_seen_at: Date;
  host: string;
}

export interface MessageDetails {
  message_id: string;
  queue_name: string;
  payload: string;
  published_at: Date;
  delivered_at: Date | null;
  delivery_count: number;
  status: string;
  headers: Record<string, string>;
}

/** Counts a broker (or pg-boss) reports for a queue: ready and unacknowledged messages, consumers. */
export interface BrokerCounts {
  ready: number;
  unacked: number;
  consumers?: number;
}

/** What differs between the embedded (pg-boss) and the RabbitMQ mode. */
export interface QueueBackend {
  readonly name: 'pg-boss' | 'rabbitmq';
  counts(queue: ServiceQueue): Promise<BrokerCounts>;
  /** Removes every waiting message; returns what was removed (payloads of delivery jobs included). */
  purge(queue: ServiceQueue): Promise<{ count: number; messageIds: string[]; notificationIds: string[] }>;
}

const RATE_WINDOW_SECONDS = 60;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A consumer whose heartbeat is older than this is gone. */
export const CONSUMER_TTL_SECONDS = 30;

function checkQueueName(name: string | undefined): ServiceQueue {
  if (!name) throw notificationErrors.invalidArgument('queue_name', 'is required');
  if (!isServiceQueue(name))
    throw notificationErrors.notFound(`queue ${name} not found (queues: ${SERVICE_QUEUES.join(', ')})`);
  return name;
}

/** pg-boss queues of the seed's names; the dead-letter queue is the `dead_letters` table. */
export class PgBossBackend implements QueueBackend {
  readonly name = 'pg-boss' as const;

  constructor(
    private readonly repositories: NotificationRepositories,
    private readonly jobs: JobQueue,
  ) {}

  async counts(queue: ServiceQueue): Promise<BrokerCounts> {
    if (queue === DEAD_LETTER_QUEUE)
      return { ready: await this.repositories.deadLetters.countPending(), unacked: 0, consumers: 0 };
    const counts = await this.jobs.counts(queue, { executor: this.repositories.executor });
    return { ready: counts.waiting, unacked: counts.active };
  }

  async purge(
    queue: ServiceQueue,
  ): Promise<{ count: number; messageIds: string[]; notificationIds: string[] }> {
    if (queue === DEAD_LETTER_QUEUE) {
      const removed = await this.repositories.deadLetters.deletePending();
      return { count: removed.length, messageIds: removed, notificationIds: [] };
    }
    await this.jobs.ensureQueue(queue);
    return this.repositories.transaction(async (tx) => {
      const rows = await this.jobs.removeWaiting(queue, { transaction: tx.executor });
      return {
        count: rows.length,
        messageIds: rows.map((row) => row.id),
        notificationIds: queue === DELIVERY_QUEUE ? rows.flatMap(attemptNotificationId) : [],
      };
    });
  }
}

/** The notification a delivery job's stored payload names, if any. */
function attemptNotificationId(job: { data: Record<string, unknown> | null }): string[] {
  const id = job.data?.notification_id;
  return typeof id === 'string' && id ? [id] : [];
}

/** QueueMonitoringService's numbers: broker counts, ledger rates and timings, consumer heartbeats. */
export class QueueMonitor {
  constructor(
    private readonly repositories: NotificationRepositories,
    private readonly backend: QueueBackend,
    private readonly notifications: Notifications,
    private readonly logger: Logger,
  ) {}

  get backendName() {
    return this.backend.name;
  }

  async stats(queueName: string | undefined): Promise<QueueStats[]> {
    const queues = queueName ? [checkQueueName(queueName)] : [...SERVICE_QUEUES];
    const ledger = await this.repositories.messageLedger.rates(queues, RATE_WINDOW_SECONDS);
    const consumers = await this.repositories.consumers.countLive(queues, CONSUMER_TTL_SECONDS);
    const out: QueueStats[] = [];
    for (const queue of queues) {
      const counts = await this.backend.counts(queue);
      const entry = ledger.find((row) => row.queue === queue);
      const heartbeats = Number(consumers.find((row) => row.queue === queue)?.count ?? 0);
      out.push({
        queue_name: queue,
        message_count: counts.ready + counts.unacked,
        consumer_count: counts.consumers ?? heartbeats,
        rate: round((entry?.completed ?? 0) / RATE_WINDOW_SECONDS),
        avg_processing_time: round(entry?.avg_ms ?? 0),
        messages_ready: counts.ready,
        messages_unacknowledged: counts.unacked,
        publish_rate: round((entry?.published ?? 0) / RATE_WINDOW_SECONDS),
      });
    }
    return out;
  }

  async info(queueName: string | undefined): Promise<QueueInfo> {
    const queue = checkQueueName(queueName);
    const declared = await this.repositories.queueDeclarations.find(queue);
    if (!declared)
      throw notificationErrors.notFound(`queue ${queue} has not been declared yet (no worker has started)`);
    return {
      name: declared.name,
      durable: declared.durable,
      auto_delete: declared.auto_delete,
      arguments: declared.arguments,
      created_at: declared.created_at,
      backend: declared.backend,
    };
  }

  async consumers(queueName: string | undefined): Promise<ConsumerInfo[]> {
    const queue = checkQueueName(queueName);
    const rows = await this.repositories.consumers.listLive(queue, CONSUMER_TTL_SECONDS);
    return rows.map((row) => ({
      consumer_tag: row.consumer_tag,
      queue_name: row.queue,
      ack_count: Number(row.ack_count),
      unack_count: row.unack_count,
      prefetch_count: row.prefetch,
      connected_at: row.connected_at,
      last_seen_at: row.last_seen_at,
      host: row.host,
    }));
  }

  async message(messageId: string | undefined, queueName: string | undefined): Promise<MessageDetails> {
    if (!messageId) throw notificationErrors.invalidArgument('message_id', 'is required');
    const queue = checkQueueName(queueName);
    const row = await this.repositories.messageLedger.find(queue, messageId);
    if (!row) throw notificationErrors.notFound(`message ${messageId} not found in ${queue}`);
    return {
      message_id: row.message_id,
      queue_name: row.queue,
      payload: JSON.stringify(row.payload),
      published_at: row.published_at,
      delivered_at: row.delivered_at,
      delivery_count: row.delivery_count,
      status: row.status,
      headers: row.headers,
    };
  }

  /** Removes every waiting message; notifications whose next attempt was removed are cancelled. */
  async purge(queueName: string | undefined): Promise<{ count: number }> {
    const queue = checkQueueName(queueName);
    const removed = await this.backend.purge(queue);
    await this.repositories.messageLedger.complete(queue, removed.messageIds, 'purged');
    // Only notifications waiting on a removed attempt (a stale copy's notification has moved on).
    const attempts = removed.messageIds.filter((id) => UUID.test(id));
    for (const id of removed.notificationIds) {
      if (attempts.length === 0) break;
      await this.repositories.transaction(async (tx) => {
        const row = await tx.notifications.lockAttemptHolder(id, attempts, ['queued', 'retrying']);
        if (row) await this.notifications.markCancelled(tx, row);
      });
    }
    this.logger.warn({ queue, purged: removed.count }, 'queue purged');
    return { count: removed.count };
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * Heartbeats of this process's consumers: one row per queue it works, with how many messages it
 * acknowledged and holds, refreshed every few seconds and removed on a clean stop.
 */
export class ConsumerRegistry {
  private readonly entries = new Map<
    string,
    { queue: string; prefetch: number; acked: number; unacked: number }
  >();
  private timer: NodeJS.Timeout | undefined;
  private readonly host = `${os.hostname()}:${process.pid}`;

  constructor(
    private readonly repositories: NotificationRepositories,
    private readonly logger: Logger,
    private readonly intervalMs = 5000,
  ) {}

  /** Registers a consumer and returns its tag; `track` wraps each message it handles. */
  register(queue: string, prefetch: number): { tag: string; track<T>(work: () => Promise<T>): Promise<T> } {
    const tag = `${this.host}:${queue}:${Math.random().toString(36).slice(2, 8)}`;
    const entry = { queue, prefetch, acked: 0, unacked: 0 };
    this.entries.set(tag, entry);
    return {
      tag,
      track: async (work) => {
        entry.unacked += 1;
        try {
          const result = await work();
          entry.acked += 1;
          return result;
        } finally {
          entry.unacked -= 1;
        }
      },
    };
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch((error) => this.logger.debug({ err: error }, 'consumer heartbeat failed'));
    }, this.intervalMs);
    this.timer.unref();
  }

  async beat(): Promise<void> {
    for (const [tag, entry] of this.entries) {
      await this.repositories.consumers.beat({
        tag,
        queue: entry.queue,
        host: this.host,
        prefetch: entry.prefetch,
        acked: entry.acked,
        unacked: entry.unacked,
      });
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const tags = [...this.entries.keys()];
    this.entries.clear();
    await this.repositories.consumers.delete(tags).catch(() => undefined);
  }
}

/**
 * With AMQP_URL the intake queues and the delivery queue live on RabbitMQ: their counts come from
 * the broker (`queue.declare` passive), purge is the broker's. The delivery queue's waiting
 * attempts include those in its delay queues and those held in PostgreSQL; purging it drains them
 * (basic.get, so the notifications they carried are known and cancelled). Dead letters stay in
 * PostgreSQL.
 */
export class RabbitMqBackend implements QueueBackend {
  readonly name = 'rabbitmq' as const;
  private connection: Promise<ChannelModel> | undefined;

  constructor(
    private readonly url: string,
    private readonly fallback: PgBossBackend,
    private readonly brokerQueues: readonly string[],
    private readonly delivery?: {
      bands: RetryBand[];
      repositories: NotificationRepositories;
      jobs: JobQueue;
    },
  ) {}

  private async withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    this.connection ??= connectAmqp(this.url).then((connection) => {
      connection.on('error', () => undefined);
      connection.on('close', () => {
        this.connection = undefined;
      });
      return connection;
    });
    const connection = await this.connection.catch((error: unknown) => {
      this.connection = undefined;
      throw error;
    });
    // A passive declare of a missing queue closes the channel: one channel per question.
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  private async check(queue: string): Promise<{ messageCount: number; consumerCount: number }> {
    try {
      return await this.withChannel((channel) => channel.checkQueue(queue));
    } catch (error) {
      if ((error as { code?: number }).code === 404) return { messageCount: 0, consumerCount: 0 };
      throw notificationErrors.unavailable('RabbitMQ unavailable; retry later');
    }
  }

  async counts(queue: ServiceQueue): Promise<BrokerCounts> {
    if (!this.brokerQueues.includes(queue)) return this.fallback.counts(queue);
    const checked = await this.check(queue);
    let ready = checked.messageCount;
    if (queue === DELIVERY_QUEUE && this.delivery) {
      for (const band of this.delivery.bands) ready += (await this.check(band.queue)).messageCount;
      const held = await this.delivery.jobs.counts(HELD_QUEUE, {
        executor: this.delivery.repositories.executor,
      });
      ready += held.waiting;
    }
    // The broker reports ready messages; unacknowledged ones are the consumers' (from our ledger's view, in flight).
    return { ready, unacked: 0, consumers: checked.consumerCount };
  }

  async purge(
    queue: ServiceQueue,
  ): Promise<{ count: number; messageIds: string[]; notificationIds: string[] }> {
    if (!this.brokerQueues.includes(queue)) return this.fallback.purge(queue);
    if (queue === DELIVERY_QUEUE && this.delivery) return this.purgeDelivery(this.delivery);
    const purged = await this.withChannel((channel) => channel.purgeQueue(queue)).catch(() => {
      throw notificationErrors.unavailable('RabbitMQ unavailable; retry later');
    });
    return { count: purged.messageCount, messageIds: [], notificationIds: [] };
  }

  private async purgeDelivery(delivery: NonNullable<RabbitMqBackend['delivery']>) {
    const messageIds: string[] = [];
    const notificationIds: string[] = [];
    for (const queue of [DELIVERY_QUEUE, ...delivery.bands.map((band) => band.queue)]) {
      await this.withChannel(async (channel) => {
        for (;;) {
          const message = await channel.get(queue, { noAck: false });
          if (!message) return;
          const id = message.properties.messageId;
          if (typeof id === 'string') messageIds.push(id);
          try {
            const payload = JSON.parse(message.content.toString('utf8')) as { notification_id?: unknown };
            if (typeof payload.notification_id === 'string') notificationIds.push(payload.notification_id);
          } catch {
            // Not an attempt of ours: removed all the same.
          }
          channel.ack(message);
        }
      }).catch((error: unknown) => {
        if ((error as { code?: number }).code === 404) return;
        throw notificationErrors.unavailable('RabbitMQ unavailable; retry later');
      });
    }
    await delivery.jobs.ensureQueue(HELD_QUEUE);
    const held = await delivery.repositories.transaction((tx) =>
      delivery.jobs.removeWaiting(HELD_QUEUE, { transaction: tx.executor }),
    );
    for (const job of held) {
      messageIds.push(job.id);
      notificationIds.push(...attemptNotificationId(job));
    }
    return { count: messageIds.length, messageIds, notificationIds };
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await connection.then((open) => open.close()).catch(() => undefined);
  }
}
