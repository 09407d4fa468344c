import { type Channel, type ConsumeMessage, connect as connectAmqp } from 'amqplib';
import {
  type AmqpConnection,
  defineJob,
  type JobQueue,
  type Outbox,
  type OutboxMessage,
} from '@trustplane/kernel';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { NotificationConfig } from '../config.js';
import type { NotificationRepositories, NotificationTransaction } from '../db/repositories.js';
import type { Priority } from '../db/schema.js';
import type { AttemptResult, DeliveryJob } from '../domain/delivery.js';
import {
  AMQP_PRIORITY,
  attemptLedgerEntries,
  type DeliveryJobData,
  type DeliveryQueue,
  type DeliverySpec,
} from './delivery-queue.js';
import {
  DEAD_LETTER_QUEUE,
  DELIVER_ROUTING_KEY,
  DELIVERY_EXCHANGE,
  DELIVERY_QUEUE,
  HELD_QUEUE,
} from './names.js';

/**
 * One backoff step's delay queue on the broker: attempts that wait between `lower` and `upper`
 * milliseconds (the step ± jitter). Named after its band, so changing the steps or the jitter
 * declares new queues instead of clashing with the arguments of the old ones.
 */
export interface RetryBand {
  lower: number;
  upper: number;
  queue: string;
  routingKey: string;
}

export function retryBands(config: Pick<NotificationConfig, 'retryDelaysMs' | 'retryJitter'>): RetryBand[] {
  const bands = new Map<string, RetryBand>();
  for (const step of config.retryDelaysMs) {
    const lower = Math.floor(step * (1 - config.retryJitter));
    const upper = Math.ceil(step * (1 + config.retryJitter));
    if (upper <= 0) continue;
    const band = `${lower}-${upper}`;
    bands.set(band, {
      lower,
      upper,
      queue: `notification.delivery.wait.${band}ms`,
      routingKey: `wait.${band}`,
    });
  }
  return [...bands.values()].sort((a, b) => a.lower - b.lower);
}

/** The broker arguments of the delivery queue (also what GetQueueInfo shows). */
export const DELIVERY_QUEUE_ARGUMENTS = {
  'x-max-priority': 3,
  'x-dead-letter-exchange': '',
  'x-dead-letter-routing-key': DEAD_LETTER_QUEUE,
} as const;

/** The broker arguments of a delay queue: capped at its band's upper bound, expired back to `deliver`. */
export function waitQueueArguments(band: RetryBand) {
  return {
    'x-message-ttl': band.upper,
    'x-dead-letter-exchange': DELIVERY_EXCHANGE,
    'x-dead-letter-routing-key': DELIVER_ROUTING_KEY,
  };
}

/** Declares the delivery topology (idempotent; the same arguments every time). */
export async function assertDeliveryTopology(channel: Channel, bands: RetryBand[]): Promise<void> {
  await channel.assertExchange(DELIVERY_EXCHANGE, 'topic', { durable: true });
  await channel.assertQueue(DEAD_LETTER_QUEUE, { durable: true });
  await channel.assertQueue(DELIVERY_QUEUE, { durable: true, arguments: { ...DELIVERY_QUEUE_ARGUMENTS } });
  await channel.bindQueue(DELIVERY_QUEUE, DELIVERY_EXCHANGE, DELIVER_ROUTING_KEY);
  for (const band of bands) {
    await channel.assertQueue(band.queue, { durable: true, arguments: waitQueueArguments(band) });
    await channel.bindQueue(band.queue, DELIVERY_EXCHANGE, band.routingKey);
  }
}

export function attemptMessage(
  job: { jobId: string; notificationId: string; priority: Priority; leaseSeconds: number },
  wait?: { band: RetryBand; expirationMs: number },
): OutboxMessage {
  return {
    exchange: DELIVERY_EXCHANGE,
    topic: wait ? wait.band.routingKey : DELIVER_ROUTING_KEY,
    payload: {
      notification_id: job.notificationId,
      lease_seconds: job.leaseSeconds,
    } satisfies DeliveryJobData,
    messageId: job.jobId,
    priority: AMQP_PRIORITY[job.priority],
    ...(wait ? { expirationMs: wait.expirationMs } : {}),
    // Until the worker has declared the queues, the outbox keeps the attempt and retries.
    mandatory: true,
  };
}

/** The job of `notification.delivery.held`: an attempt waiting in PostgreSQL until it is due. */
function heldJob(
  config: NotificationConfig,
  release: (jobId: string, data: DeliveryJobData) => Promise<void>,
) {
  return defineJob({
    name: HELD_QUEUE,
    version: 1,
    payload: z.object({
      notification_id: z.string(),
      lease_seconds: z.number().int().positive().optional(),
      priority: z.enum(['low', 'normal', 'high', 'urgent']).optional(),
    }),
    retry: { limit: 10, delaySeconds: 2, backoff: true },
    // One short transaction: a check and an outbox row.
    timeoutSeconds: 60,
    concurrency: 2,
    pollingIntervalSeconds: config.pollingIntervalSeconds,
    handle: (payload, job) => release(job.id, payload),
  });
}

/**
 * Delivery attempts on RabbitMQ (AMQP_URL). An attempt due now is published to the delivery queue,
 * a retry to the delay queue of its backoff step with the jittered wait as its per-message TTL,
 * through the kernel outbox in the caller's transaction (published with confirms once it commits).
 *
 * Why per-message TTL on per-step queues: RabbitMQ expires messages only at the head of a queue.
 * In a queue holding only waits of one band [lower, upper] (capped by `x-message-ttl: upper`), a
 * message behind another expires no later than that one, which expires at most `upper` after it was
 * published, itself no later than our message: every wait ends within [its own TTL, upper], inside
 * the band. Mixing bands in one queue would let a long wait hold short ones back. A wait that fits
 * no band — `scheduled_at`, or a `Retry-After` longer than the step allows — is held in PostgreSQL
 * (a pg-boss job on `notification.delivery.held`) and published when due.
 */
export class AmqpDeliveryQueue implements DeliveryQueue {
  readonly backend = 'rabbitmq' as const;
  readonly bands: RetryBand[];
  /** Attempts held in PostgreSQL until due, then published (`release`). */
  readonly heldJob: ReturnType<typeof heldJob>;

  constructor(
    private readonly deps: {
      repositories: NotificationRepositories;
      outbox: Pick<Outbox, 'publish' | 'publishMany'>;
      jobs: JobQueue;
      config: NotificationConfig;
    },
  ) {
    this.bands = retryBands(deps.config);
    this.heldJob = heldJob(deps.config, (jobId, data) => this.release(jobId, data));
  }

  async enqueue(tx: NotificationTransaction, specs: DeliverySpec[]): Promise<void> {
    if (specs.length === 0) return;
    const now = Date.now();
    const messages: OutboxMessage[] = [];
    const held: DeliverySpec[] = [];
    const routes = new Map<string, string>();
    for (const spec of specs) {
      const job = {
        jobId: spec.jobId,
        notificationId: spec.notificationId,
        priority: spec.priority,
        leaseSeconds: spec.expireInSeconds,
      };
      const delay = spec.delayMs ?? (spec.startAfter ? spec.startAfter.getTime() - now : 0);
      if (delay <= 0) {
        messages.push(attemptMessage(job));
        routes.set(spec.jobId, DELIVERY_QUEUE);
        continue;
      }
      const band = this.bands.find((entry) => delay >= entry.lower && delay <= entry.upper);
      if (band) {
        messages.push(attemptMessage(job, { band, expirationMs: delay }));
        routes.set(spec.jobId, band.queue);
      } else {
        held.push(spec);
        routes.set(spec.jobId, HELD_QUEUE);
      }
    }
    for (let start = 0; start < messages.length; start += 1000)
      await this.deps.outbox.publishMany(tx.executor, messages.slice(start, start + 1000));
    if (held.length > 0) {
      await this.deps.jobs.sendMany(
        this.heldJob,
        held.map((spec) => ({
          id: spec.jobId,
          payload: {
            notification_id: spec.notificationId,
            lease_seconds: spec.expireInSeconds,
            priority: spec.priority,
          } satisfies DeliveryJobData,
          ...(spec.startAfter ? { startAfter: spec.startAfter } : {}),
        })),
        { transaction: tx.executor },
      );
    }
    await tx.messageLedger.insertMany(
      attemptLedgerEntries(specs, (spec) => ({
        priority: spec.priority,
        route: routes.get(spec.jobId) ?? DELIVERY_QUEUE,
      })),
    );
  }

  /**
   * The handler of `notification.delivery.held`: an attempt whose wait is over goes to the broker
   * (through the outbox, in one transaction with the check), unless the notification moved on.
   */
  async release(jobId: string, data: DeliveryJobData): Promise<void> {
    await this.deps.repositories.transaction(async (tx) => {
      const waiting = await tx.notifications.lockAttemptHolder(
        data.notification_id,
        [jobId],
        ['queued', 'retrying'],
      );
      if (!waiting) return;
      await this.deps.outbox.publish(
        tx.executor,
        attemptMessage({
          jobId,
          notificationId: data.notification_id,
          priority: data.priority ?? 'normal',
          leaseSeconds: data.lease_seconds ?? 60,
        }),
      );
      await tx.messageLedger.markReady(DELIVERY_QUEUE, jobId);
    });
  }

  async cancel(tx: NotificationTransaction, jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    // An attempt already on the broker cannot be taken back: it is dropped as stale when it arrives.
    await this.deps.jobs.cancel(this.heldJob, jobIds, { transaction: tx.executor });
    await tx.messageLedger.markCancelled(DELIVERY_QUEUE, jobIds);
  }
}

/** What the lane needs from the rest of the service. */
export interface AmqpDeliveryLaneDeps {
  url: string;
  config: NotificationConfig;
  bands: RetryBand[];
  logger: Logger;
  /** Runs one attempt (the delivery engine). */
  attempt(job: DeliveryJob, track: <T>(work: () => Promise<T>) => Promise<T>): Promise<AttemptResult>;
  /** Notes the broker's dead-lettering history (x-death) of an attempt in the ledger. */
  noteDeaths(jobId: string, headers: Record<string, string>): Promise<void>;
  /** Records a message the broker dead-lettered (idempotent per message id). */
  recordDeadLetter(message: BrokerDeadLetter): Promise<void>;
  /** Heartbeat registry of the consumer. */
  track<T>(work: () => Promise<T>): Promise<T>;
}

/** A message taken from the broker's `notification.events.dlq`. */
export interface BrokerDeadLetter {
  messageId: string | undefined;
  /** The dead-lettering that brought it here: the queue it left and why (`rejected`, `expired`, `maxlen`). */
  queue: string;
  reason: string;
  /** Its whole history as the broker tells it (`firstDeath`). */
  deaths: Record<string, string>;
  payload: unknown;
}

const RESTART_BASE_MS = 500;
const RESTART_MAX_MS = 30_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The broker's dead-lettering history of a message (its `x-death` header, most recent first) as
 * strings, for the ledger and dead letters: where it was dead-lettered first and last, and why.
 */
export function firstDeath(message: Pick<ConsumeMessage, 'properties'>): Record<string, string> {
  const headers = message.properties.headers ?? {};
  const deaths = headers['x-death'];
  if (!Array.isArray(deaths) || deaths.length === 0) return {};
  const first = deaths.at(-1) as { queue?: string; reason?: string; count?: number };
  const last = deaths[0] as { queue?: string; reason?: string };
  return {
    'x-first-death-queue': String(headers['x-first-death-queue'] ?? first.queue ?? ''),
    'x-first-death-reason': String(headers['x-first-death-reason'] ?? first.reason ?? ''),
    'x-last-death-queue': String(last.queue ?? ''),
    'x-last-death-reason': String(last.reason ?? ''),
    'x-death-count': String(
      deaths.reduce((sum: number, entry: { count?: number }) => sum + Number(entry.count ?? 1), 0),
    ),
  };
}

/**
 * The consuming side with AMQP_URL: declares the delivery topology, works `notification.delivery.queue`
 * with manual acknowledgement (prefetch = NOTIFICATION_WORKER_CONCURRENCY) and records what the broker
 * dead-letters into `notification.events.dlq`.
 *
 * - an attempt settled (delivered, retrying with its next attempt in the outbox, cancelled) or stale
 *   is acknowledged after the commit: a crash before the ack redelivers a copy, which finds the
 *   notification settled and is dropped — nothing is sent twice;
 * - an attempt that failed for good is recorded as a dead letter in the settle transaction, then
 *   rejected: the broker dead-letters it (DLX) to `notification.events.dlq`, where the recorder
 *   notes the broker's history on the dead letter and acknowledges it;
 * - a copy arriving while the attempt still runs (redelivery after a lost connection, an outbox
 *   duplicate) waits out the attempt's lease and is requeued; once the lease is over the worker is
 *   presumed dead and the copy takes over (a crash mid-SMTP is redelivered once);
 * - an undecodable message is rejected at once (DLX, recorded as such); a handler failure (the
 *   database is down) is requeued after a growing pause, never dead-lettered.
 */
export class AmqpDeliveryLane {
  private connection: AmqpConnection | undefined;
  private channel: Channel | undefined;
  private consumerTags: string[] = [];
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartFailures = 0;
  private handlerFailures = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiting = new Set<{ timer: NodeJS.Timeout; release: () => void }>();
  private readonly logger: Logger;

  constructor(private readonly deps: AmqpDeliveryLaneDeps) {
    this.logger = deps.logger.child({ component: 'amqp-delivery' });
  }

  async start(): Promise<void> {
    const connection: AmqpConnection = await connectAmqp(this.deps.url, {
      clientProperties: { connection_name: 'trustplane-notification-delivery' },
      recovery: { initialDelay: 200, maxDelay: RESTART_MAX_MS, initialMaxRetries: 5, waitForConnect: true },
    });
    connection.on('error', (error: Error) => this.logger.warn({ err: error }, 'AMQP connection error'));
    this.connection = connection;
    await this.open();
  }

  private async open(): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    const channel = await connection.createChannel();
    channel.on('error', (error: Error) => this.logger.warn({ err: error }, 'AMQP delivery channel error'));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      this.scheduleRestart();
    });
    try {
      await assertDeliveryTopology(channel, this.deps.bands);
      await channel.prefetch(this.deps.config.workerConcurrency);
      const attempts = await channel.consume(DELIVERY_QUEUE, (message) => this.onAttempt(channel, message), {
        noAck: false,
      });
      await channel.prefetch(4);
      const deadLetters = await channel.consume(
        DEAD_LETTER_QUEUE,
        (message) => this.onDeadLetter(channel, message),
        { noAck: false },
      );
      this.consumerTags = [attempts.consumerTag, deadLetters.consumerTag];
    } catch (error) {
      await channel.close().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await channel.close().catch(() => undefined);
      return;
    }
    this.channel = channel;
    this.restartFailures = 0;
  }

  private scheduleRestart(): void {
    if (this.stopped || this.restartTimer) return;
    const delay = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** this.restartFailures);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.open().catch((error: unknown) => {
        this.restartFailures += 1;
        this.logger.warn({ err: error }, 'AMQP delivery consumer could not be restored; retrying');
        this.scheduleRestart();
      });
    }, delay);
    this.restartTimer.unref();
  }

  private run(work: () => Promise<void>): void {
    const running = work().catch((error: unknown) =>
      this.logger.error({ err: error }, 'AMQP delivery handler failed unexpectedly'),
    );
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
  }

  /** Waits `ms` (cut short by stop), then settles the message. */
  private later(ms: number, settle: () => void): void {
    const entry = {
      timer: setTimeout(() => {
        this.waiting.delete(entry);
        settle();
      }, ms),
      release: () => {
        clearTimeout(entry.timer);
        this.waiting.delete(entry);
        settle();
      },
    };
    entry.timer.unref();
    this.waiting.add(entry);
  }

  private onAttempt(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted): start over on a fresh channel.
      channel.close().catch(() => undefined);
      return;
    }
    this.run(async () => {
      const job = decodeAttempt(message);
      if (!job) {
        this.logger.warn(
          { messageId: message.properties.messageId },
          'undecodable delivery attempt rejected',
        );
        settle(() => channel.nack(message, false, false));
        return;
      }
      try {
        const deaths = firstDeath(message);
        if (deaths['x-first-death-queue']) await this.deps.noteDeaths(job.jobId, deaths);
        const result = await this.deps.attempt(job, this.deps.track);
        this.handlerFailures = 0;
        if (result.kind === 'done') settle(() => channel.ack(message));
        else if (result.kind === 'dead-lettered') settle(() => channel.nack(message, false, false));
        else this.later(result.retryInMs + 100, () => settle(() => channel.nack(message, false, true)));
      } catch (error) {
        this.handlerFailures += 1;
        const pause = Math.min(RESTART_MAX_MS, 250 * 2 ** Math.min(this.handlerFailures, 7));
        this.logger.warn(
          { err: error, messageId: job.jobId, retryInMs: pause },
          'delivery attempt could not run; requeued',
        );
        this.later(pause, () => settle(() => channel.nack(message, false, true)));
      }
    });
  }

  private onDeadLetter(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      channel.close().catch(() => undefined);
      return;
    }
    this.run(async () => {
      const deaths = firstDeath(message);
      let payload: unknown;
      const text = message.content.toString('utf8');
      try {
        payload = JSON.parse(text);
      } catch {
        payload = { undecodable: text.slice(0, 10_000) };
      }
      try {
        await this.deps.recordDeadLetter({
          messageId:
            typeof message.properties.messageId === 'string' ? message.properties.messageId : undefined,
          queue: deaths['x-last-death-queue'] || 'unknown',
          reason: deaths['x-last-death-reason'] || 'unknown',
          deaths,
          payload,
        });
        settle(() => channel.ack(message));
      } catch (error) {
        this.handlerFailures += 1;
        const pause = Math.min(RESTART_MAX_MS, 250 * 2 ** Math.min(this.handlerFailures, 7));
        this.logger.warn(
          { err: error, retryInMs: pause },
          'broker dead letter could not be recorded; requeued',
        );
        this.later(pause, () => settle(() => channel.nack(message, false, true)));
      }
    });
  }

  /** Stops consuming, lets running attempts finish and acknowledge, then disconnects. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    for (const tag of this.consumerTags) await this.channel?.cancel(tag).catch(() => undefined);
    for (const entry of [...this.waiting]) entry.release();
    await Promise.allSettled([...this.inFlight]);
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
  }
}

function settle(acknowledge: () => void): void {
  try {
    acknowledge();
  } catch {
    // The channel is gone: the broker requeues what was not acknowledged.
  }
}

function decodeAttempt(message: ConsumeMessage): DeliveryJob | undefined {
  const jobId = message.properties.messageId;
  if (typeof jobId !== 'string' || !UUID.test(jobId)) return undefined;
  try {
    const payload = JSON.parse(message.content.toString('utf8')) as Partial<DeliveryJobData>;
    if (typeof payload.notification_id !== 'string' || payload.notification_id.length > 64) return undefined;
    const lease = Number(payload.lease_seconds);
    return {
      jobId,
      notificationId: payload.notification_id,
      ...(Number.isInteger(lease) && lease > 0 ? { leaseSeconds: lease } : { leaseSeconds: 60 }),
    };
  } catch {
    return undefined;
  }
}
