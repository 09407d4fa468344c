import type { ProviderInstance, ProviderType } from '../config.js';
import type { StoredContent } from '../db/schema.js';

/** One recipient of one notification, as a provider sends it. */
export interface DeliveryTarget {
  notificationId: string;
  position: number;
  providerType: ProviderType;
  recipient: { type: string; address: string; name: string };
  content: StoredContent;
  metadata: Record<string, string>;
  /** 1 for the first attempt. */
  attempt: number;
}

export interface Accepted {
  /** What the provider answered: SMTP reply, HTTP status, API message id, sink file. */
  providerMessageId: string;
}

/**
 * A failed send. `permanent` failures (SMTP 5xx, HTTP 4xx but 408/429, malformed, refused
 * destination) are not retried; `retryAfterMs` is the provider's own `Retry-After`.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface Provider {
  readonly instance: ProviderInstance;
  /** Resolves only once the provider accepted the message for this recipient. */
  send(target: DeliveryTarget, signal: AbortSignal): Promise<Accepted>;
  close?(): Promise<void>;
}

/** HTTP statuses worth another attempt: timeouts, throttling and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Plain text of a notification for channels without a subject line. */
export function plainText(content: StoredContent): string {
  return content.subject ? `${content.subject}\n\n${content.body}` : content.body;
}
