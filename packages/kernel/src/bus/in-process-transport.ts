import {
  type BusMessage,
  compileTopicPattern,
  type MessageHandler,
  MessageHandlingError,
  type MessageTransport,
  type PublishOptions,
  type SubscribeOptions,
  TransportClosedError,
  UnroutableMessageError,
  type Unsubscribe,
} from './message-transport.js';
import type { PostgresQueues } from './postgres-queues.js';

interface Subscription {
  exchange: string;
  matches: (routingKey: string) => boolean;
  handler: MessageHandler;
  /** Subscriptions sharing a queue name compete for messages; an unnamed one gets its own. */
  queue: string | undefined;
}

/**
 * The embedded bus: a topic exchange in process memory. `publish` resolves once every
 * matching subscriber has handled the message and rejects if any failed, so the outbox
 * retries it (then every matching subscriber sees it again: at least once, not exactly once).
 *
 * With `durable` queues (the platform always gives them), a named subscription is a queue in
 * PostgreSQL instead (see `PostgresQueues`): it receives what any process publishes, keeps it
 * while its consumer is down, and its consumers in every process compete for it.
 */
export class InProcessTransport implements MessageTransport {
  private readonly subscriptions = new Set<Subscription>();
  private readonly roundRobin = new Map<string, number>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly durable?: PostgresQueues) {}

  async publish(message: BusMessage, options: PublishOptions = {}): Promise<void> {
    if (this.closed) throw new TransportClosedError();
    // Durable queues first: a local subscriber failing makes the outbox publish again, and the
    // queued copy is not duplicated (one job per message id and queue).
    const queued = this.durable ? await this.durable.route(message, options.executor, options.routing) : 0;
    const targets = this.targets(message);
    if (targets.length === 0) {
      if (queued === 0 && message.mandatory) throw new UnroutableMessageError(message);
      return;
    }
    const handled = Promise.allSettled(
      // Each subscriber gets its own copy, as it would from a broker.
      targets.map(async (subscription) => subscription.handler(structuredClone(message))),
    );
    this.inFlight.add(handled);
    try {
      const results = await handled;
      const errors = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      if (errors.length > 0) throw new MessageHandlingError(message.messageId, errors);
    } finally {
      this.inFlight.delete(handled);
    }
  }

  async subscribe(
    exchange: string,
    bindingKey: string,
    handler: MessageHandler,
    options: SubscribeOptions = {},
  ): Promise<Unsubscribe> {
    if (this.closed) throw new TransportClosedError();
    if (this.durable && options.queue !== undefined) {
      const queue = options.queue;
      await this.durable.bind(queue, exchange, bindingKey);
      return this.durable.consume(queue, handler);
    }
    const subscription: Subscription = {
      exchange,
      matches: compileTopicPattern(bindingKey),
      handler,
      queue: options.queue,
    };
    this.subscriptions.add(subscription);
    return async () => {
      this.subscriptions.delete(subscription);
    };
  }

  /** Stops accepting messages and waits for the handlers still running. */
  async close(): Promise<void> {
    this.closed = true;
    this.subscriptions.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private targets(message: BusMessage): Subscription[] {
    const targets: Subscription[] = [];
    const byQueue = new Map<string, Subscription[]>();
    for (const subscription of this.subscriptions) {
      if (subscription.exchange !== message.exchange || !subscription.matches(message.topic)) continue;
      if (subscription.queue === undefined) {
        targets.push(subscription);
        continue;
      }
      const members = byQueue.get(subscription.queue) ?? [];
      members.push(subscription);
      byQueue.set(subscription.queue, members);
    }
    for (const [queue, members] of byQueue) {
      const turn = this.roundRobin.get(queue) ?? 0;
      this.roundRobin.set(queue, turn + 1);
      targets.push(members[turn % members.length]!);
    }
    return targets;
  }
}
