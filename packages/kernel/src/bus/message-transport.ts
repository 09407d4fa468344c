import type { SqlExecutor } from '../db/sql-executor.js';

/** One message on the bus, as published and as delivered. */
export interface BusMessage {
  /** A topic exchange, e.g. `account.events`. */
  exchange: string;
  /** The routing key, words separated by dots, e.g. `email.requested`. */
  topic: string;
  /** Any JSON value. */
  payload: unknown;
  headers: Record<string, string>;
  /** Stable across redeliveries: delivery is at least once, consumers deduplicate on it. */
  messageId: string;
  /**
   * Publishing: fail with `UnroutableMessageError` when no queue or subscriber takes the message
   * (AMQP's `mandatory`), instead of dropping it.
   */
  mandatory?: boolean;
  /**
   * AMQP `priority` (0–255), for a queue declared with `x-max-priority`. The embedded bus ignores it.
   */
  priority?: number;
  /**
   * AMQP per-message TTL in milliseconds: the broker drops (or dead-letters) the message once it
   * has waited that long at the head of its queue. For delay queues; the embedded bus ignores it.
   */
  expirationMs?: number;
  /** Delivered messages: when it entered its queue (best known), and how many times it was delivered. */
  publishedAt?: Date;
  deliveryCount?: number;
}

export interface PublishOptions {
  /**
   * The caller's transaction (the outbox relay's): the embedded bus stores messages for durable
   * queues through it, so they are queued iff the caller commits. The AMQP transport ignores it.
   */
  executor?: SqlExecutor;
  /**
   * Kept by a caller publishing a batch in one transaction (the outbox relay, one per batch): the
   * embedded bus reads an exchange's bindings once per batch instead of once per message.
   */
  routing?: RoutingCache;
}

/** Bindings read during one batch of publications, by exchange. */
export type RoutingCache = Map<string, Promise<{ queue: string; binding_key: string }[]>>;

export type MessageHandler = (message: BusMessage) => Promise<void>;

export interface SubscribeOptions {
  /**
   * A named, durable queue shared by every subscriber that uses the same name: they
   * compete for its messages (one service, several processes). Without a name the
   * subscription has a private queue that receives every matching message while it lives.
   */
  queue?: string;
}

export type Unsubscribe = () => Promise<void>;

export interface MessageTransport {
  /** Resolves once the message is accepted (in process: handled or queued; AMQP: confirmed by the broker). */
  publish(message: BusMessage, options?: PublishOptions): Promise<void>;
  /** `bindingKey` is an AMQP topic pattern: `*` matches one word, `#` zero or more. */
  subscribe(
    exchange: string,
    bindingKey: string,
    handler: MessageHandler,
    options?: SubscribeOptions,
  ): Promise<Unsubscribe>;
  close(): Promise<void>;
}

/** A mandatory message matched no queue and no subscriber. */
export class UnroutableMessageError extends Error {
  override readonly name = 'UnroutableMessageError';
  constructor(message: Pick<BusMessage, 'exchange' | 'topic' | 'messageId'>) {
    super(`message ${message.messageId} to ${message.exchange}/${message.topic} has no queue to go to yet`);
  }
}

export class TransportClosedError extends Error {
  override readonly name = 'TransportClosedError';
  constructor() {
    super('message transport is closed');
  }
}

/** Some subscribers failed to handle a message; the publisher should retry it later. */
export class MessageHandlingError extends AggregateError {
  override readonly name = 'MessageHandlingError';
  constructor(
    readonly messageId: string,
    errors: unknown[],
  ) {
    const first = errors[0] instanceof Error ? errors[0].message : String(errors[0]);
    super(errors, `${errors.length} subscriber(s) failed to handle message ${messageId}: ${first}`);
  }
}

/** An AMQP topic binding key compiled into a matcher of routing keys. */
export function compileTopicPattern(bindingKey: string): (routingKey: string) => boolean {
  const pattern = bindingKey.split('.');
  return (routingKey) => {
    const words = routingKey === '' ? [] : routingKey.split('.');
    // Memoised on (pattern position, word position): several `#` would otherwise backtrack exponentially.
    const failed = new Set<number>();
    const match = (p: number, w: number): boolean => {
      if (p === pattern.length) return w === words.length;
      const key = p * (words.length + 1) + w;
      if (failed.has(key)) return false;
      const part = pattern[p];
      let matched: boolean;
      if (part === '#') {
        matched = false;
        for (let next = w; next <= words.length && !matched; next += 1) matched = match(p + 1, next);
      } else {
        matched = w < words.length && (part === '*' || part === words[w]) && match(p + 1, w + 1);
      }
      if (!matched) failed.add(key);
      return matched;
    };
    return match(0, 0);
  };
}

export function topicMatches(bindingKey: string, routingKey: string): boolean {
  return compileTopicPattern(bindingKey)(routingKey);
}
