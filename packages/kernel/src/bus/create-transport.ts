import type { Logger } from 'pino';
import { AmqpTransport, type AmqpTransportOptions } from './amqp-transport.js';
import { InProcessTransport } from './in-process-transport.js';
import type { MessageTransport } from './message-transport.js';
import type { PostgresQueues } from './postgres-queues.js';

export interface CreateTransportOptions {
  /** `AMQP_URL`: RabbitMQ when set, the in-process bus otherwise. */
  amqpUrl?: string | undefined;
  logger: Logger;
  amqp?: Omit<AmqpTransportOptions, 'url' | 'logger'>;
  /** The embedded bus's durable queues (named subscriptions) in PostgreSQL. */
  durable?: PostgresQueues;
}

export async function createTransport(options: CreateTransportOptions): Promise<MessageTransport> {
  if (!options.amqpUrl) return new InProcessTransport(options.durable);
  return AmqpTransport.connect({ ...options.amqp, url: options.amqpUrl, logger: options.logger });
}
