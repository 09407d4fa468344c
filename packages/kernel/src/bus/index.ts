export { AmqpTransport, type AmqpConnection, type AmqpTransportOptions } from './amqp-transport.js';
export { type CreateTransportOptions, createTransport } from './create-transport.js';
export { InProcessTransport } from './in-process-transport.js';
export { DURABLE_RETRY_LIMIT, PostgresQueues, type PostgresQueuesOptions } from './postgres-queues.js';
export {
  type BusMessage,
  compileTopicPattern,
  type MessageHandler,
  MessageHandlingError,
  type MessageTransport,
  type PublishOptions,
  type RoutingCache,
  type SubscribeOptions,
  TransportClosedError,
  topicMatches,
  UnroutableMessageError,
  type Unsubscribe,
} from './message-transport.js';
export {
  DEFAULT_EXCHANGE,
  OUTBOX_CHANNEL,
  Outbox,
  type OutboxMessage,
  type OutboxOptions,
} from './outbox.js';
export { TimeoutError } from './with-timeout.js';
