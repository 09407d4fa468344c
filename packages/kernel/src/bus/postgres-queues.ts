import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { z } from 'zod';
import { runSql, type SqlExecutor } from '../db/sql-executor.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { type BusMessage, compileTopicPattern, type MessageHandler } from './message-transport.js';
import { OUTBOX_CHANNEL } from './outbox.js';

export interface PostgresQueuesOptions {
  /** A pool on the database where the `platform` migrations ran. */
  pool: pg.Pool;
  jobs: JobQueue;
  logger: Logger;
}

/** A handler failing this often in a row sends the message to `<queue>.dead`. */
export const DURABLE_RETRY_LIMIT = 5;

interface QueuedMessage {
  exchange: string;
  topic: string;
  payload: unknown;
  headers: Record<string, string>;
  messageId: string;
}

/** Stored without a version (a bus message is not a job of one service): read as version 1. */
const queuedMessage: z.ZodType<QueuedMessage> = z.object({
  exchange: z.string(),
  topic: z.string(),
  payload: z.unknown(),
  headers: z.record(z.string(), z.string()),
  messageId: z.string(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The job id of a message: its id when it is a UUID (outbox ids are), a UUID derived from it otherwise. */
function jobId(messageId: string): string {
  if (UUID.test(messageId)) return messageId.toLowerCase();
  const hex = createHash('sha256').update(messageId).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The durable queues of the embedded bus, in PostgreSQL: a binding (`platform.bus_bindings`)
 * routes an exchange's messages to a pg-boss queue of the queue's name, in the publisher's
 * transaction. So a message crosses processes (account's outbox relay → notification's
 * worker), waits while its consumer is down, is retried (then `<queue>.dead`) when its handler
 * fails, and is stored once per queue even when published again (its id is the job id).
 */
export class PostgresQueues {
  constructor(private readonly options: PostgresQueuesOptions) {}

  /**
   * Declares `queue` bound to `exchange` with `bindingKey`. A new binding wakes the outbox, so
   * mandatory messages that were waiting for a queue go out now.
   */
  async bind(queue: string, exchange: string, bindingKey: string): Promise<void> {
    const { rows } = await this.options.pool.query(
      `INSERT INTO platform.bus_bindings (queue, exchange, binding_key) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [queue, exchange, bindingKey],
    );
    await this.options.jobs.ensureQueue(queue);
    if (rows.length > 0) {
      await this.options.pool.query(
        `WITH due AS (
           UPDATE platform.outbox SET next_attempt_at = now()
            WHERE published_at IS NULL AND exchange = $1 AND next_attempt_at > now()
         )
         SELECT pg_notify($2, '')`,
        [exchange, OUTBOX_CHANNEL],
      );
    }
  }

  /** Stores `message` in every queue bound to its exchange and topic; returns how many. */
  async route(message: BusMessage, executor?: SqlExecutor): Promise<number> {
    const bindings = await runSql<{ queue: string; binding_key: string }>(
      executor ?? this.options.pool,
      'SELECT queue, binding_key FROM platform.bus_bindings WHERE exchange = $1',
      [message.exchange],
    );
    const queues = [
      ...new Set(
        bindings
          .filter((binding) => compileTopicPattern(binding.binding_key)(message.topic))
          .map((binding) => binding.queue),
      ),
    ];
    const data: QueuedMessage = {
      exchange: message.exchange,
      topic: message.topic,
      payload: message.payload ?? null,
      headers: message.headers,
      messageId: message.messageId,
    };
    for (const queue of queues) {
      await this.options.jobs.ensureQueue(queue);
      await this.options.jobs.boss.send(queue, data, {
        id: jobId(message.messageId),
        ...(executor
          ? { db: { executeSql: async (text, values) => ({ rows: await runSql(executor, text, values) }) } }
          : {}),
      });
      await this.options.jobs.announce(executor ?? this.options.pool, queue);
    }
    return queues.length;
  }

  /** Works `queue` in this process; a handler that throws gets the message again (then `.dead`). */
  async consume(queue: string, handler: MessageHandler, concurrency = 4): Promise<() => Promise<void>> {
    const { jobs } = this.options;
    // Not through `defineJob`: a queue is named by its subscriber, in any form AMQP allows.
    jobs.define<QueuedMessage>({
      name: queue,
      version: 1,
      payload: queuedMessage,
      retry: { limit: DURABLE_RETRY_LIMIT, delaySeconds: 1, backoff: true },
      timeoutSeconds: 265,
      concurrency,
      pollingIntervalSeconds: 0.5,
      handle: (data, context) =>
        handler({
          exchange: data.exchange,
          topic: data.topic,
          payload: data.payload,
          headers: data.headers ?? {},
          messageId: data.messageId,
          ...(context.createdOn ? { publishedAt: new Date(context.createdOn) } : {}),
          deliveryCount: context.retryCount + 1,
        }),
    });
    await jobs.work([queue]);
    return () => jobs.stopWorking(queue);
  }
}
