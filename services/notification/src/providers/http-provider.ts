import { createHmac } from 'node:crypto';
import type { WebhookDispatcher } from '@trustplane/kernel';
import type { ProviderInstance } from '../config.js';
import {
  type Accepted,
  DeliveryError,
  type DeliveryTarget,
  isRetryableStatus,
  type Provider,
} from './provider.js';

/**
 * Signed webhooks through the kernel (SSRF guard, `X-Trustplane-Signature`), one attempt per
 * call: retries are the notification's own. The recipient's address is the URL; bus requests,
 * whose recipients carry none, go to the instance's `url`.
 */
export class HttpProvider implements Provider {
  private readonly secret: string;

  constructor(
    readonly instance: ProviderInstance,
    private readonly webhooks: WebhookDispatcher,
    signingSecret: Buffer,
    private readonly timeoutMs: number,
  ) {
    this.secret =
      instance.secret ??
      createHmac('sha256', signingSecret).update(`http-provider:${instance.name}`).digest('hex');
  }

  async send(target: DeliveryTarget): Promise<Accepted> {
    const url = target.recipient.address || this.instance.url;
    if (!url)
      throw new DeliveryError(`provider ${this.instance.name} has no url and the recipient none`, true);
    const response = await this.webhooks.deliverNow({
      url,
      secret: this.secret,
      event: 'notification',
      deliveryId: `${target.notificationId}.${target.position}`,
      timeoutMs: this.timeoutMs,
      payload: {
        notification_id: target.notificationId,
        recipient: target.recipient,
        content: target.content,
        metadata: target.metadata,
        attempt: target.attempt,
      },
    });
    if (response.refused) throw new DeliveryError(`destination refused: ${response.refused}`, true);
    const status = response.statusCode;
    if (status !== undefined && status >= 200 && status < 300) return { providerMessageId: `HTTP ${status}` };
    if (status === undefined) throw new DeliveryError(response.error ?? 'no response', false);
    throw new DeliveryError(
      `HTTP ${status}`,
      !isRetryableStatus(status),
      response.retryAfterSeconds === undefined ? undefined : response.retryAfterSeconds * 1000,
    );
  }
}
