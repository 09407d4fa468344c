import { MailError, type Mailer } from '@trustplane/kernel';
import { convert } from 'html-to-text';
import type { ProviderInstance } from '../config.js';
import { type Accepted, DeliveryError, type DeliveryTarget, type Provider } from './provider.js';

/**
 * The text part of an HTML-only body (html-to-text: scripts and styles dropped, links kept as
 * `text [url]`, entities decoded; linear in the input, which a hand-written regex chain was not).
 */
function htmlToText(html: string): string {
  return convert(html, { wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }] }).trim();
}

/** Email through the kernel mailer: the `.eml` sink, or `SMTP_URL`. */
export class EmailProvider implements Provider {
  constructor(
    readonly instance: ProviderInstance,
    private readonly mailer: Mailer,
    private readonly messageIdDomain: string,
  ) {}

  async send(target: DeliveryTarget, signal: AbortSignal): Promise<Accepted> {
    const { content, recipient } = target;
    const html = content.is_html ? content.html_body || content.body : content.html_body || undefined;
    const text = content.is_html && !content.html_body ? htmlToText(content.body) : content.body;
    const sending = this.mailer.send({
      to: recipient.name ? { name: recipient.name, address: recipient.address } : recipient.address,
      subject: content.subject,
      text,
      ...(html ? { html } : {}),
      // Stable across attempts: a receiver seeing the same Message-ID knows it is a resend.
      messageId: `<${target.notificationId}.${target.position}@${this.messageIdDomain}>`,
      headers: { 'X-Notification-Id': target.notificationId },
    });
    try {
      const sent = await abortable(sending, signal);
      return { providerMessageId: sent.response || sent.messageId };
    } catch (error) {
      throw classifyMailError(error);
    }
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** SMTP 5xx and malformed mail are permanent; 4xx, connection failures and timeouts are retried. */
export function classifyMailError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  if (error instanceof MailError) return new DeliveryError(`malformed mail: ${error.message}`, true);
  const smtp = error as { responseCode?: number; response?: string; code?: string; message?: string };
  if (typeof smtp.responseCode === 'number') {
    const reply = (smtp.response ?? smtp.message ?? '').slice(0, 300);
    return new DeliveryError(`SMTP ${smtp.responseCode}: ${reply}`, smtp.responseCode >= 500);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new DeliveryError(`${smtp.code ? `${smtp.code}: ` : ''}${message}`.slice(0, 500), false);
}
