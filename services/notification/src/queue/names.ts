/** Exchange other services publish notification requests to (routing key `<provider>.send`). */
export const REQUESTS_EXCHANGE = 'notification.requests';
/** The seed's primary inbound queue, bound to `notification.requests`. */
export const EVENTS_QUEUE = 'notification.events.queue';
/** account's events exchange and the queue this service binds to its `email.requested`. */
export const ACCOUNT_EXCHANGE = 'account.events';
export const EMAIL_REQUESTED_QUEUE = 'notification.email-requested.queue';
/** Deliveries (one message per attempt), ordered by priority. */
export const DELIVERY_QUEUE = 'notification.delivery.queue';
/** What failed for good: exhausted retries, permanent errors, messages that cannot be processed. */
export const DEAD_LETTER_QUEUE = 'notification.events.dlq';
/** Topic exchange of status changes: `notification.<status>.<provider>`. */
export const OUTBOUND_EXCHANGE = 'notification.outbound';

export const SERVICE_QUEUES = [
  EVENTS_QUEUE,
  EMAIL_REQUESTED_QUEUE,
  DELIVERY_QUEUE,
  DEAD_LETTER_QUEUE,
] as const;
export type ServiceQueue = (typeof SERVICE_QUEUES)[number];

export function isServiceQueue(name: string): name is ServiceQueue {
  return (SERVICE_QUEUES as readonly string[]).includes(name);
}

/**
 * With AMQP_URL: the topic exchange delivery attempts are published to. `deliver` routes to
 * `notification.delivery.queue`; `wait.<lower>-<upper>` to the delay queue of one backoff step,
 * whose expired messages the broker dead-letters back to `deliver`.
 */
export const DELIVERY_EXCHANGE = 'notification.delivery';
export const DELIVER_ROUTING_KEY = 'deliver';
/** With AMQP_URL: attempts that wait longer than a step allows (scheduled_at, long Retry-After), in pg-boss. */
export const HELD_QUEUE = 'notification.delivery.held';
