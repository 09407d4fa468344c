import {
  type BusMessage,
  compileTopicPattern,
  type MessageHandler,
  MessageHandlingError,
  type MessageTransport,
  type SubscribeOptions,
  TransportClosedError,
  type Unsubscribe,
} from './message-transport.js';

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
 */
export class InProcessTransport implements MessageTransport {
  private readonly subscriptions = new Set<Subscription>();
  private readonly roundRobin = new Map<string, number>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  async publish(message: BusMessage): Promise<void> {
    if (this.closed) throw new TransportClosedError();
    const targets = this.targets(message);
    if (targets.length === 0) return;
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
