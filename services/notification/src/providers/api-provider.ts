import { trimChar } from '@trustplane/kernel';
import type { ProviderInstance } from '../config.js';
import type { MessageSink } from './message-sink.js';
import {
  type Accepted,
  DeliveryError,
  type DeliveryTarget,
  isRetryableStatus,
  plainText,
  type Provider,
} from './provider.js';

interface ApiRequest {
  url: string;
  /** `url` with the token masked, for the sink and for errors. */
  displayUrl: string;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * A chat API client (Telegram Bot API, WhatsApp Cloud API). With a token it POSTs the request;
 * without one it writes the exact request to the message sink, which then counts as accepted.
 */
abstract class ChatApiProvider implements Provider {
  constructor(
    readonly instance: ProviderInstance,
    private readonly sink: MessageSink,
  ) {}

  protected abstract request(target: DeliveryTarget, token: string): ApiRequest;
  protected abstract messageId(response: unknown): string | undefined;
  protected abstract get configured(): boolean;

  async send(target: DeliveryTarget, signal: AbortSignal): Promise<Accepted> {
    const token = this.instance.token;
    if (!token || !this.configured) {
      const request = this.request(target, '<TOKEN>');
      const file = await this.sink.record({
        channel: this.instance.type,
        notification_id: target.notificationId,
        recipient_position: target.position,
        method: 'POST',
        url: request.displayUrl,
        headers: request.headers,
        body: request.body,
      });
      return { providerMessageId: `sink:${file}` };
    }
    const request = this.request(target, token);
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: 'POST',
        headers: { ...request.headers, 'Content-Type': 'application/json' },
        body: JSON.stringify(request.body),
        signal,
        redirect: 'manual',
      });
    } catch (error) {
      throw new DeliveryError(`${request.displayUrl}: ${(error as Error).message}`, false);
    }
    const text = await response.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.status >= 200 && response.status < 300) {
      return { providerMessageId: this.messageId(parsed) ?? `HTTP ${response.status}` };
    }
    const retryAfter = retryAfterMs(response.headers.get('retry-after'), parsed);
    throw new DeliveryError(
      `${this.instance.type} API answered HTTP ${response.status}: ${text.slice(0, 300)}`,
      !isRetryableStatus(response.status),
      retryAfter,
    );
  }
}

function retryAfterMs(header: string | null, body: unknown): number | undefined {
  if (header && /^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  // Telegram puts it in the body: {"parameters": {"retry_after": 5}}.
  const seconds = (body as { parameters?: { retry_after?: unknown } } | undefined)?.parameters?.retry_after;
  return typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : undefined;
}

/** Telegram Bot API `sendMessage`. */
export class TelegramProvider extends ChatApiProvider {
  protected get configured() {
    return true;
  }

  protected request(target: DeliveryTarget, token: string): ApiRequest {
    const base = trimChar(this.instance.apiUrl ?? 'https://api.telegram.org', '/', 'end');
    const html = target.content.is_html;
    return {
      url: `${base}/bot${token}/sendMessage`,
      displayUrl: `${base}/bot<TOKEN>/sendMessage`,
      headers: { 'Content-Type': 'application/json' },
      body: {
        chat_id: /^-?\d+$/.test(target.recipient.address)
          ? Number(target.recipient.address)
          : target.recipient.address,
        text: html ? target.content.html_body || target.content.body : plainText(target.content),
        ...(html ? { parse_mode: 'HTML' } : {}),
      },
    };
  }

  protected messageId(response: unknown): string | undefined {
    const id = (response as { result?: { message_id?: unknown } } | undefined)?.result?.message_id;
    return id === undefined ? undefined : `telegram:${String(id)}`;
  }
}

/** WhatsApp Business Cloud API `/<phone_number_id>/messages`, text message. */
export class WhatsAppProvider extends ChatApiProvider {
  protected get configured() {
    return Boolean(this.instance.phoneNumberId);
  }

  protected request(target: DeliveryTarget, token: string): ApiRequest {
    const base = trimChar(this.instance.apiUrl ?? 'https://graph.facebook.com/v19.0', '/', 'end');
    const url = `${base}/${encodeURIComponent(this.instance.phoneNumberId ?? '<PHONE_NUMBER_ID>')}/messages`;
    return {
      url,
      displayUrl: url,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: target.recipient.address.replace(/^\+/, ''),
        type: 'text',
        text: { preview_url: false, body: plainText(target.content) },
      },
    };
  }

  protected messageId(response: unknown): string | undefined {
    const id = (response as { messages?: { id?: unknown }[] } | undefined)?.messages?.[0]?.id;
    return id === undefined ? undefined : `whatsapp:${String(id)}`;
  }
}
