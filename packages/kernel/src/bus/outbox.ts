import { randomUUID } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import { PgListener } from '../db/pg-listener.js';
import type { BusMessage, MessageTransport, RoutingCache } from './message-transport.js';
import { runSql, type SqlExecutor } from '../db/sql-executor.js';
import { withTimeout } from './with-timeout.js';

/** Channel the relay LISTENs on; `publish` NOTIFYs it, delivered when the caller commits. */
export const OUTBOX_CHANNEL = 'platform_outbox';

export const DEFAULT_EXCHANGE = 'trustplane.events';

export interface OutboxMessage {
  /** Defaults to the outbox's `defaultExchange`. */
  exchange?: string;
  topic: string;
  payload: unknown;
  headers?: Record<string, string>;
  /** Publishing the same id again is a no-op, so a caller can make publishing idempotent. */
  messageId?: string;
  /**
   * The payload carries a secret (a one-time token): the row is deleted in the transaction that
   * records its publication, instead of being kept for `retentionMs` like other messages.
   */
  deleteOnPublish?: boolean;
  /**
   * The message must reach a queue or subscriber: while none takes it, it stays here and is
   * retried (a request whose consumer has never started is not dropped).
   */
  mandatory?: boolean;
  /** AMQP properties, see `BusMessage` (the embedded bus ignores them). */
  priority?: number;
  expirationMs?: number;
}

export interface OutboxOptions {
  /** A pool on a database where the `platform` migrations ran. */
  pool: pg.Pool;
  logger: Logger;
  transport: MessageTransport;
  /** The relay also polls at this interval, for missed notifications and retries. Default 1000. */
  pollIntervalMs?: number;
  /**
   * After a pass that published something, the relay waits this long before the next one, so that
   * messages committed meanwhile go out together (one transaction per batch instead of one per
   * commit under a steady flow); a message after a quiet spell goes out at once. Default 25.
   */
  batchWindowMs?: number;
  /** Messages claimed per relay transaction. Default 100. */
  batchSize?: number;
  defaultExchange?: string;
  /** First retry delay after a transport failure, doubled per attempt. Default 1000. */
  retryDelayMs?: number;
  /** Longest delay between two attempts. Default 5 minutes. */
  maxRetryDelayMs?: number;
  /** A transport publish taking longer counts as failed (its rows stay locked meanwhile). Default 30 s. */
  publishTimeoutMs?: number;
  /** Published rows older than this are deleted by the relay. Default 7 days. */
  retentionMs?: number;
}

interface OutboxRow {
  id: string | number;
  message_id: string;
  exchange: string;
  topic: string;
  payload: unknown;
  headers: Record<string, string> | null;
  attempts: number;
  mandatory: boolean;
  priority: number | null;
  expiration_ms: number | null;
}

const MAX_ERROR_LENGTH = 1000;
const PRUNE_INTERVAL_MS = 10 * 60_000;
const LISTENER_RETRY_MS = 5000;
const TOPIC = /^[^\s#*]+$/;

/**
 * Transactional outbox. `publish` writes the message through the caller's executor, so it
 * exists iff the caller's transaction commits. The relay (`start`) claims due rows with
 * `FOR UPDATE SKIP LOCKED` and keeps them locked while it hands them to the transport, so
 * relays in several processes do not send the same message twice; a relay that dies
 * mid-batch releases its locks and the rows are sent again (at least once). Ordering is not
 * guaranteed once a message has been retried.
 */
export class Outbox {
  private readonly pool: pg.Pool;
  private readonly logger: Logger;
  private readonly transport: MessageTransport;
  private readonly pollIntervalMs: number;
  private readonly batchWindowMs: number;
  private readonly batchSize: number;
  private readonly defaultExchange: string;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly publishTimeoutMs: number;
  private readonly retentionMs: number;

  private running = false;
  private starting: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private listener: PgListener | undefined;
  private wakeRequested = false;
  private wake: (() => void) | undefined;
  /** Ends the batch window early (stop). */
  private interrupt: (() => void) | undefined;
  private lastPruneAt = 0;

  constructor(options: OutboxOptions) {
    this.pool = options.pool;
    this.logger = options.logger.child({ component: 'outbox' });
    this.transport = options.transport;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.batchWindowMs = options.batchWindowMs ?? 25;
    this.batchSize = options.batchSize ?? 100;
    this.defaultExchange = options.defaultExchange ?? DEFAULT_EXCHANGE;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 5 * 60_000;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;
  }

  /**
   * Records `message` in the caller's transaction (a Kysely transaction or a pg client inside
   * BEGIN … COMMIT) and returns its id. With a pool or a Kysely instance it is committed at once.
   */
  async publish(executor: SqlExecutor, message: OutboxMessage): Promise<string> {
    const exchange = message.exchange ?? this.defaultExchange;
    if (!TOPIC.test(message.topic)) throw new TypeError(`invalid topic: ${JSON.stringify(message.topic)}`);
    if (exchange.length === 0) throw new TypeError('exchange must not be empty');
    const messageId = message.messageId ?? randomUUID();
    // One statement: the NOTIFY belongs to the same transaction and reaches listeners on commit.
    await runSql(
      executor,
      `WITH inserted AS (
         INSERT INTO platform.outbox
           (message_id, exchange, topic, payload, headers, delete_on_publish, mandatory, priority, expiration_ms)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $7, $8, $9, $10)
         ON CONFLICT (message_id) DO NOTHING
         RETURNING 1
       )
       SELECT pg_notify($6, '') FROM inserted`,
      [
        messageId,
        exchange,
        message.topic,
        JSON.stringify(message.payload ?? null),
        JSON.stringify(message.headers ?? {}),
        OUTBOX_CHANNEL,
        message.deleteOnPublish === true,
        message.mandatory === true,
        message.priority ?? null,
        message.expirationMs ?? null,
      ],
    );
    return messageId;
  }

  /**
   * `publish` for several messages in one statement (one round trip however many there are);
   * returns their ids in order.
   */
  async publishMany(executor: SqlExecutor, messages: OutboxMessage[]): Promise<string[]> {
    if (messages.length === 0) return [];
    const rows = messages.map((message) => this.row(message));
    await runSql(
      executor,
      `WITH inserted AS (
         INSERT INTO platform.outbox
           (message_id, exchange, topic, payload, headers, delete_on_publish, mandatory, priority, expiration_ms)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::boolean[], $7::boolean[],
                              $9::smallint[], $10::integer[])
         ON CONFLICT (message_id) DO NOTHING
         RETURNING 1
       )
       SELECT pg_notify($8, '') WHERE EXISTS (SELECT 1 FROM inserted)`,
      [
        rows.map((row) => row.messageId),
        rows.map((row) => row.exchange),
        rows.map((row) => row.topic),
        rows.map((row) => JSON.stringify(row.payload ?? null)),
        rows.map((row) => JSON.stringify(row.headers ?? {})),
        rows.map((row) => row.deleteOnPublish === true),
        rows.map((row) => row.mandatory === true),
        OUTBOX_CHANNEL,
        rows.map((row) => row.priority ?? null),
        rows.map((row) => row.expirationMs ?? null),
      ],
    );
    return rows.map((row) => row.messageId);
  }

  /**
   * `publishMany` inside the caller's own statement, for messages that depend on what that
   * statement changes: a data-modifying CTE body (Kysely `sql`) inserting each message whose `key`
   * is among `keys` (a query of that statement, e.g. sql`SELECT id FROM settled`) and waking the
   * relays when it commits. The change and its events then take one round trip, atomic as one
   * statement, instead of a transaction around two. PostgreSQL runs a data-modifying CTE to
   * completion whether or not the statement reads it.
   */
  publishManyWhere(
    entries: { key: string; message: OutboxMessage }[],
    keys: RawBuilder<unknown>,
  ): RawBuilder<unknown> {
    const rows = entries.map((entry) => this.row(entry.message));
    return sql`
      INSERT INTO platform.outbox
        (message_id, exchange, topic, payload, headers, delete_on_publish, mandatory, priority, expiration_ms)
      SELECT m.message_id, m.exchange, m.topic, m.payload, m.headers, m.delete_on_publish, m.mandatory, m.priority,
             m.expiration_ms
        FROM unnest(${entries.map((entry) => entry.key)}::text[], ${rows.map((row) => row.messageId)}::uuid[],
                    ${rows.map((row) => row.exchange)}::text[], ${rows.map((row) => row.topic)}::text[],
                    ${rows.map((row) => JSON.stringify(row.payload ?? null))}::jsonb[],
                    ${rows.map((row) => JSON.stringify(row.headers ?? {}))}::jsonb[],
                    ${rows.map((row) => row.deleteOnPublish === true)}::boolean[],
                    ${rows.map((row) => row.mandatory === true)}::boolean[],
                    ${rows.map((row) => row.priority ?? null)}::smallint[],
                    ${rows.map((row) => row.expirationMs ?? null)}::integer[])
             AS m(key, message_id, exchange, topic, payload, headers, delete_on_publish, mandatory, priority,
                  expiration_ms)
       WHERE m.key IN (${keys})
      ON CONFLICT (message_id) DO NOTHING
      RETURNING pg_notify(${OUTBOX_CHANNEL}, '')`;
  }

  /** A message checked and completed with its defaults, as stored. */
  private row(message: OutboxMessage): OutboxMessage & { exchange: string; messageId: string } {
    const exchange = message.exchange ?? this.defaultExchange;
    if (!TOPIC.test(message.topic)) throw new TypeError(`invalid topic: ${JSON.stringify(message.topic)}`);
    if (exchange.length === 0) throw new TypeError('exchange must not be empty');
    return { ...message, exchange, messageId: message.messageId ?? randomUUID() };
  }

  /**
   * Makes the unpublished messages of `exchange` due now and wakes the relays: a consumer that
   * has just declared the queues they were waiting for (mandatory messages the broker returned)
   * need not wait for their next retry. Returns how many.
   */
  async expedite(exchange: string): Promise<number> {
    const { rows } = await this.pool.query<{ count: number }>(
      `WITH due AS (
         UPDATE platform.outbox SET next_attempt_at = now()
          WHERE published_at IS NULL AND exchange = $1 AND next_attempt_at > now()
         RETURNING 1
       )
       SELECT count(*)::int AS count FROM due`,
      [exchange],
    );
    const count = rows[0]?.count ?? 0;
    if (count > 0) await this.pool.query('SELECT pg_notify($1, $2)', [OUTBOX_CHANNEL, '']);
    return count;
  }

  /** Starts the relay: LISTEN for new messages, poll as a fallback. Idempotent. */
  start(): Promise<void> {
    this.starting ??= this.startRelay().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** Stops the relay after its in-flight batch. Idempotent. */
  stop(): Promise<void> {
    if (!this.running) return this.stopping ?? Promise.resolve();
    this.running = false;
    this.wake?.();
    this.interrupt?.();
    const starting = this.starting;
    this.stopping = (async () => {
      await starting;
      await this.loop;
      this.loop = undefined;
      await this.listener?.stop();
      this.listener = undefined;
    })();
    return this.stopping;
  }

  /**
   * Publishes the messages that are due, in batches, until none is left; returns how many
   * were published. The relay calls it; a command line or a test may too.
   */
  async relayPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const { claimed, published } = await this.relayBatch();
      total += published;
      if (claimed < this.batchSize) return total;
    }
  }

  private async startRelay(): Promise<void> {
    await this.stopping;
    if (this.running) return;
    this.running = true;
    this.wakeRequested = true;
    // A lost or unavailable LISTEN connection only slows the relay down to polling; once it is
    // back, the relay runs at once for what was published meanwhile.
    this.listener = new PgListener({
      pool: this.pool,
      channels: [OUTBOX_CHANNEL],
      logger: this.logger,
      retryMs: LISTENER_RETRY_MS,
      onNotification: () => this.requestWake(),
      onConnected: () => this.requestWake(),
    });
    await this.listener.start();
    this.loop = this.relayLoop();
  }

  private async relayLoop(): Promise<void> {
    while (this.running) {
      this.wakeRequested = false;
      let published = 0;
      try {
        // Batch by batch, so that `stop` waits for one batch at most.
        let claimed = this.batchSize;
        while (this.running && claimed === this.batchSize) {
          const batch = await this.relayBatch();
          claimed = batch.claimed;
          published += batch.published;
        }
        await this.pruneIfDue();
      } catch (error) {
        this.logger.error({ err: error }, 'outbox relay failed; retrying at the next poll');
      }
      if (!this.running) break;
      if (published > 0) await this.batchWindow();
      await this.sleep();
    }
  }

  /** Lets the messages committed while it lasts gather for the next pass (ended early by `stop`). */
  private async batchWindow(): Promise<void> {
    if (this.batchWindowMs <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.batchWindowMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.interrupt = done;
    });
    this.interrupt = undefined;
  }

  private async relayBatch(): Promise<{ claimed: number; published: number }> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A checked-out pg client has no error listener: without one, a dropped connection would crash the process.
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<OutboxRow>(
        `SELECT id, message_id, exchange, topic, payload, headers, attempts, mandatory, priority, expiration_ms
           FROM platform.outbox
          WHERE published_at IS NULL AND next_attempt_at <= now()
          ORDER BY next_attempt_at, id
          LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [this.batchSize],
      );
      const published: (string | number)[] = [];
      const routing: RoutingCache = new Map();
      for (const row of rows) {
        try {
          await withTimeout(
            // Through the relay's transaction: durable queues store it iff the row is marked published.
            this.transport.publish(toBusMessage(row), { executor: client, routing }),
            this.publishTimeoutMs,
            `transport did not accept message ${row.message_id} within ${this.publishTimeoutMs} ms`,
          );
          published.push(row.id);
        } catch (error) {
          const delayMs = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** Math.min(row.attempts, 30));
          this.logger.warn(
            {
              err: error,
              messageId: row.message_id,
              topic: row.topic,
              attempt: row.attempts + 1,
              retryInMs: delayMs,
            },
            'outbox message not published; will retry',
          );
          await client.query(
            `UPDATE platform.outbox
                SET attempts = attempts + 1,
                    last_error = $2,
                    next_attempt_at = now() + $3::double precision * interval '1 millisecond'
              WHERE id = $1`,
            [row.id, describeError(error), delayMs],
          );
        }
      }
      if (published.length > 0) {
        await client.query(
          `WITH sent AS (
             DELETE FROM platform.outbox WHERE id = ANY($1::bigint[]) AND delete_on_publish
           )
           UPDATE platform.outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL
            WHERE id = ANY($1::bigint[]) AND NOT delete_on_publish`,
          [published],
        );
      }
      await client.query('COMMIT');
      return { claimed: rows.length, published: published.length };
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  private async pruneIfDue(): Promise<void> {
    if (Date.now() - this.lastPruneAt < PRUNE_INTERVAL_MS) return;
    this.lastPruneAt = Date.now();
    const { rowCount } = await this.pool.query(
      `DELETE FROM platform.outbox WHERE published_at < now() - $1::double precision * interval '1 millisecond'`,
      [this.retentionMs],
    );
    if (rowCount) this.logger.debug({ deleted: rowCount }, 'pruned published outbox messages');
  }

  /** Waits for a notification, the poll interval, or `stop`. */
  private async sleep(): Promise<void> {
    if (this.wakeRequested || !this.running) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.pollIntervalMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }

  private requestWake(): void {
    this.wakeRequested = true;
    this.wake?.();
  }
}

function toBusMessage(row: OutboxRow): BusMessage {
  return {
    exchange: row.exchange,
    topic: row.topic,
    payload: row.payload,
    headers: row.headers ?? {},
    messageId: row.message_id,
    ...(row.mandatory ? { mandatory: true } : {}),
    ...(row.priority !== null ? { priority: row.priority } : {}),
    ...(row.expiration_ms !== null ? { expirationMs: row.expiration_ms } : {}),
  };
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, MAX_ERROR_LENGTH);
}
