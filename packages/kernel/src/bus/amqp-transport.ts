import { randomUUID } from 'node:crypto';
import { type Channel, type ConfirmChannel, type ConsumeMessage, connect as connectAmqp } from 'amqplib';
import type { Logger } from 'pino';
import {
  type BusMessage,
  type MessageHandler,
  type MessageTransport,
  type SubscribeOptions,
  TransportClosedError,
  UnroutableMessageError,
  type Unsubscribe,
} from './message-transport.js';
import { withTimeout } from './with-timeout.js';

/** The part of an amqplib (recovering) connection this transport uses; tests substitute a fake. */
export interface AmqpConnection {
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<ConfirmChannel>;
  close(): Promise<void>;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

export interface AmqpTransportOptions {
  url: string;
  logger: Logger;
  /** Unacknowledged messages a subscription holds at once. Default 16. */
  prefetch?: number;
  /** A publish not confirmed by the broker in this time fails (the outbox retries it). Default 10 s. */
  publishTimeoutMs?: number;
  /** Sent as the AMQP `app-id` property and the connection name. */
  appId?: string;
  /** Reconnection attempts before the first connection fails. Default 5. */
  initialConnectRetries?: number;
  /** Opens the connection; defaults to amqplib's `connect` with automatic recovery. */
  connect?: (url: string) => Promise<AmqpConnection>;
  /**
   * Called once a named (durable) queue is bound to `exchange`: mandatory messages the broker
   * returned while no queue was bound wait on the outbox's backoff, and can go out now (the
   * platform passes `Outbox.expedite`). A failure is logged; the backoff still delivers them.
   */
  onBound?: (exchange: string) => Promise<unknown> | undefined;
}

interface AmqpSubscription {
  exchange: string;
  bindingKey: string;
  handler: MessageHandler;
  queue: string | undefined;
  channel: Channel | undefined;
  consumerTag: string | undefined;
  stopped: boolean;
  restartTimer: NodeJS.Timeout | undefined;
  failures: number;
  /** Handlers still running: unsubscribing lets them finish and acknowledge first. */
  inFlight: Set<Promise<void>>;
}

interface Publisher {
  channel: ConfirmChannel;
  exchanges: Map<string, Promise<unknown>>;
  /** Message ids the broker returned as unroutable (it returns before it confirms). */
  returned: Set<string>;
}

const RESTART_BASE_DELAY_MS = 500;
const RESTART_MAX_DELAY_MS = 30_000;

/**
 * The bus at scale, on RabbitMQ (AMQP 0-9-1). Choices:
 * - Exchanges are durable `topic` exchanges, asserted before first use.
 * - Messages are persistent JSON, carrying `messageId`, `timestamp` and the caller's headers;
 *   `publish` resolves only when the broker confirms (confirm channel). A message no queue is
 *   bound to is dropped by the broker, as the in-process bus drops it without subscribers.
 * - A named subscription is a durable queue with a dead-letter queue `<queue>.dead` (through the
 *   default exchange). A handler failure requeues the message once (a transient error gets an
 *   immediate second chance), then, when it fails again as a redelivery, dead-letters it.
 *   Undecodable messages are dead-lettered at once. An unnamed subscription is an exclusive,
 *   auto-deleted queue that sees messages only while connected, and has no dead letters.
 * - amqplib reconnects with backoff; each subscription re-opens its channel and consumer.
 */
export class AmqpTransport implements MessageTransport {
  private readonly logger: Logger;
  private readonly prefetch: number;
  private readonly publishTimeoutMs: number;
  private readonly appId: string | undefined;
  private readonly onBound: AmqpTransportOptions['onBound'];
  private readonly subscriptions = new Set<AmqpSubscription>();
  private publisher: Promise<Publisher> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly connection: AmqpConnection,
    options: AmqpTransportOptions,
  ) {
    this.logger = options.logger.child({ component: 'amqp-transport' });
    this.prefetch = options.prefetch ?? 16;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
    this.appId = options.appId;
    this.onBound = options.onBound;
    connection.on('error', (error: Error) => this.logger.warn({ err: error }, 'AMQP connection error'));
    connection.on('disconnect', (error: Error) => this.logger.warn({ err: error }, 'AMQP connection lost'));
    connection.on('connect', () => this.logger.info('AMQP connected'));
    connection.on('reconnect-failed', (error: Error) =>
      this.logger.error({ err: error }, 'AMQP reconnection abandoned'),
    );
    connection.on('blocked', (reason: string) =>
      this.logger.warn({ reason }, 'AMQP connection blocked by the broker'),
    );
  }

  /** Connects (retrying a few times) and returns the transport; the URL is never logged. */
  static async connect(options: AmqpTransportOptions): Promise<AmqpTransport> {
    const open =
      options.connect ??
      ((url: string) =>
        connectAmqp(url, {
          clientProperties: { connection_name: options.appId ?? 'trustplane' },
          recovery: {
            initialDelay: 200,
            maxDelay: RESTART_MAX_DELAY_MS,
            initialMaxRetries: options.initialConnectRetries ?? 5,
            waitForConnect: true,
          },
        }));
    const connection = await open(options.url);
    return new AmqpTransport(connection, options);
  }

  async publish(message: BusMessage): Promise<void> {
    if (this.closed) throw new TransportClosedError();
    await withTimeout(
      this.publishConfirmed(message),
      this.publishTimeoutMs,
      `AMQP publish of message ${message.messageId} was not confirmed within ${this.publishTimeoutMs} ms`,
    );
  }

  async subscribe(
    exchange: string,
    bindingKey: string,
    handler: MessageHandler,
    options: SubscribeOptions = {},
  ): Promise<Unsubscribe> {
    if (this.closed) throw new TransportClosedError();
    const subscription: AmqpSubscription = {
      exchange,
      bindingKey,
      handler,
      queue: options.queue,
      channel: undefined,
      consumerTag: undefined,
      stopped: false,
      restartTimer: undefined,
      failures: 0,
      inFlight: new Set(),
    };
    this.subscriptions.add(subscription);
    try {
      await this.startConsumer(subscription);
    } catch (error) {
      subscription.stopped = true;
      this.subscriptions.delete(subscription);
      throw error;
    }
    return async () => {
      this.subscriptions.delete(subscription);
      await this.stopConsumer(subscription);
    };
  }

  /** Stops consuming, lets running handlers finish and acknowledge, then disconnects. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      const subscriptions = [...this.subscriptions];
      this.subscriptions.clear();
      await Promise.allSettled(subscriptions.map((subscription) => this.stopConsumer(subscription)));
      const publisher = this.publisher;
      this.publisher = undefined;
      if (publisher) await publisher.then((p) => p.channel.close()).catch(() => undefined);
      await this.connection.close().catch(() => undefined);
    })();
    return this.closing;
  }

  private async publishConfirmed(message: BusMessage): Promise<void> {
    const publisher = await this.openPublisher();
    await this.assertExchange(publisher, message.exchange);
    const content = Buffer.from(JSON.stringify(message.payload ?? null));
    await new Promise<void>((resolve, reject) => {
      publisher.channel.publish(
        message.exchange,
        message.topic,
        content,
        {
          persistent: true,
          contentType: 'application/json',
          contentEncoding: 'utf-8',
          messageId: message.messageId,
          ...(message.mandatory ? { mandatory: true } : {}),
          ...(message.priority !== undefined ? { priority: message.priority } : {}),
          ...(message.expirationMs !== undefined ? { expiration: String(message.expirationMs) } : {}),
          timestamp: Math.floor(Date.now() / 1000),
          headers: message.headers,
          ...(this.appId ? { appId: this.appId } : {}),
        },
        (error: unknown) => {
          const unroutable = publisher.returned.delete(message.messageId);
          if (error)
            reject(error instanceof Error ? error : new Error(`broker refused message ${message.messageId}`));
          else if (unroutable && message.mandatory) reject(new UnroutableMessageError(message));
          else resolve();
        },
      );
    });
  }

  private openPublisher(): Promise<Publisher> {
    if (!this.publisher) {
      const opening = this.connection.createConfirmChannel().then((channel) => {
        channel.on('error', (error: Error) => this.logger.warn({ err: error }, 'AMQP publish channel error'));
        // A closed channel (broker error, lost connection) is replaced on the next publish.
        channel.on('close', () => {
          if (this.publisher === opening) this.publisher = undefined;
        });
        const returned = new Set<string>();
        channel.on('return', (message: { properties: { messageId?: string } }) => {
          if (message.properties.messageId) returned.add(message.properties.messageId);
        });
        return { channel, exchanges: new Map(), returned };
      });
      opening.catch(() => {
        if (this.publisher === opening) this.publisher = undefined;
      });
      this.publisher = opening;
    }
    return this.publisher;
  }

  private assertExchange(publisher: Publisher, exchange: string): Promise<unknown> {
    let asserted = publisher.exchanges.get(exchange);
    if (!asserted) {
      asserted = publisher.channel.assertExchange(exchange, 'topic', { durable: true });
      asserted.catch(() => publisher.exchanges.delete(exchange));
      publisher.exchanges.set(exchange, asserted);
    }
    return asserted;
  }

  private async startConsumer(subscription: AmqpSubscription): Promise<void> {
    const channel = await this.connection.createChannel();
    channel.on('error', (error: Error) =>
      this.logger.warn(
        {
          err: error,
          exchange: subscription.exchange,
          bindingKey: subscription.bindingKey,
          queue: subscription.queue,
        },
        'AMQP consumer channel error',
      ),
    );
    channel.on('close', () => {
      if (subscription.channel !== channel) return;
      subscription.channel = undefined;
      subscription.consumerTag = undefined;
      this.scheduleRestart(subscription);
    });
    try {
      await channel.assertExchange(subscription.exchange, 'topic', { durable: true });
      let queue: string;
      if (subscription.queue) {
        const deadLetters = `${subscription.queue}.dead`;
        await channel.assertQueue(deadLetters, { durable: true });
        await channel.assertQueue(subscription.queue, {
          durable: true,
          deadLetterExchange: '',
          deadLetterRoutingKey: deadLetters,
        });
        queue = subscription.queue;
      } else {
        queue = (await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false })).queue;
      }
      await channel.bindQueue(queue, subscription.exchange, subscription.bindingKey);
      if (subscription.queue && this.onBound) {
        await Promise.resolve(this.onBound(subscription.exchange)).catch((error: unknown) =>
          this.logger.warn({ err: error, exchange: subscription.exchange }, 'could not expedite the outbox'),
        );
      }
      await channel.prefetch(this.prefetch);
      const { consumerTag } = await channel.consume(
        queue,
        (delivery) => this.onDelivery(subscription, channel, delivery),
        {
          noAck: false,
        },
      );
      if (subscription.stopped) {
        await channel.close().catch(() => undefined);
        return;
      }
      subscription.channel = channel;
      subscription.consumerTag = consumerTag;
      subscription.failures = 0;
    } catch (error) {
      await channel.close().catch(() => undefined);
      throw error;
    }
  }

  private scheduleRestart(subscription: AmqpSubscription): void {
    if (subscription.stopped || this.closed || subscription.restartTimer) return;
    const delay = Math.min(RESTART_MAX_DELAY_MS, RESTART_BASE_DELAY_MS * 2 ** subscription.failures);
    subscription.restartTimer = setTimeout(() => {
      subscription.restartTimer = undefined;
      if (subscription.stopped || this.closed) return;
      this.startConsumer(subscription).catch((error: unknown) => {
        subscription.failures += 1;
        this.logger.warn(
          {
            err: error,
            exchange: subscription.exchange,
            bindingKey: subscription.bindingKey,
            queue: subscription.queue,
          },
          'AMQP subscription could not be restored; retrying',
        );
        this.scheduleRestart(subscription);
      });
    }, delay);
    subscription.restartTimer.unref();
  }

  /** Stops deliveries, waits for running handlers to acknowledge, then closes the channel. */
  private async stopConsumer(subscription: AmqpSubscription): Promise<void> {
    subscription.stopped = true;
    if (subscription.restartTimer) clearTimeout(subscription.restartTimer);
    subscription.restartTimer = undefined;
    const { channel, consumerTag } = subscription;
    if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
    await Promise.allSettled([...subscription.inFlight]);
    subscription.channel = undefined;
    subscription.consumerTag = undefined;
    if (channel) await channel.close().catch(() => undefined);
  }

  private onDelivery(
    subscription: AmqpSubscription,
    channel: Channel,
    delivery: ConsumeMessage | null,
  ): void {
    if (delivery === null) {
      // The broker cancelled the consumer (its queue was deleted): start over on a fresh channel.
      this.logger.warn({ queue: subscription.queue }, 'AMQP consumer cancelled by the broker');
      channel.close().catch(() => undefined);
      return;
    }
    const handling = this.handleDelivery(subscription, channel, delivery);
    subscription.inFlight.add(handling);
    void handling.finally(() => subscription.inFlight.delete(handling));
  }

  private async handleDelivery(subscription: AmqpSubscription, channel: Channel, delivery: ConsumeMessage) {
    let message: BusMessage;
    try {
      message = decodeDelivery(delivery);
    } catch (error) {
      this.logger.warn(
        { err: error, exchange: delivery.fields.exchange, topic: delivery.fields.routingKey },
        'undecodable AMQP message dead-lettered',
      );
      settle(() => channel.nack(delivery, false, false));
      return;
    }
    try {
      await subscription.handler(message);
      // On a channel that closed meanwhile the ack is impossible; the broker redelivers the message.
      settle(() => channel.ack(delivery));
    } catch (error) {
      const requeue = !delivery.fields.redelivered;
      this.logger.warn(
        {
          err: error,
          messageId: message.messageId,
          topic: message.topic,
          queue: subscription.queue,
          requeue,
        },
        'message handler failed',
      );
      settle(() => channel.nack(delivery, false, requeue));
    }
  }
}

function settle(acknowledge: () => void): void {
  try {
    acknowledge();
  } catch {
    // The channel is gone: unacknowledged messages go back to the queue.
  }
}

function decodeDelivery(delivery: ConsumeMessage): BusMessage {
  const text = delivery.content.toString('utf8');
  const payload: unknown = text.length === 0 ? null : JSON.parse(text);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(delivery.properties.headers ?? {})) {
    if (typeof value === 'string') headers[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') headers[name] = String(value);
  }
  const messageId = delivery.properties.messageId;
  return {
    exchange: delivery.fields.exchange,
    topic: delivery.fields.routingKey,
    payload,
    headers,
    messageId: typeof messageId === 'string' && messageId.length > 0 ? messageId : randomUUID(),
    ...(typeof delivery.properties.timestamp === 'number'
      ? { publishedAt: new Date(delivery.properties.timestamp * 1000) }
      : {}),
    // RabbitMQ counts redeliveries only on quorum queues; `redelivered` tells a second delivery at least.
    deliveryCount: delivery.fields.redelivered ? 2 : 1,
  };
}
