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
