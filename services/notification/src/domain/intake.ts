import { type BusMessage, type MessageTransport, openSecret, sealSecret } from '@trustplane/kernel';
import type { Logger } from 'pino';
import { z } from 'zod';
import { type NotificationConfig, PROVIDER_TYPES, type ProviderType } from '../config.js';
import type { NotificationRepositories, NotificationTransaction } from '../db/repositories.js';
import type { StoredContent } from '../db/schema.js';
import {
  ACCOUNT_EXCHANGE,
  DEAD_LETTER_QUEUE,
  EMAIL_REQUESTED_QUEUE,
  EVENTS_QUEUE,
  REQUESTS_EXCHANGE,
} from '../queue/names.js';
import { isNotificationError, notificationErrors } from './errors.js';
import { newDeadLetterId } from './ids.js';
import type { Notifications } from './notifications.js';
import { ACCOUNT_TEMPLATES, accountLink, render, renderAccountMail, TemplateError } from './templates.js';
import { MAX_NOTIFICATION_BYTES, type NewNotification, providerFor, validateCreate } from './validation.js';

export type IntakeQueue = typeof EVENTS_QUEUE | typeof EMAIL_REQUESTED_QUEUE;

/** A message that can never be processed as it is: dead-lettered at once, never retried. */
class Rejection extends Error {
  override readonly name = 'Rejection';
}

interface Parsed {
  /** What duplicates are recognised by: the seed's `id`, or the outbox message id of `email.requested`. */
  dedupId: string;
  item?: NewNotification;
  sensitive: boolean;
  source: string;
  problem?: string;
}

const requestSchema = z.object({
  id: z.string().min(1).max(255),
  source_service: z.string().min(1).max(255),
  timestamp: z.string().min(1),
  recipient: z.object({
    email: z.string().optional(),
    name: z.string().optional(),
    telegram_chat_id: z.union([z.string(), z.number()]).optional(),
    whatsapp_number: z.string().optional(),
  }),
  content: z.object({
    subject: z.string().optional(),
    body: z.string(),
    is_html: z.boolean().optional(),
    html_body: z.string().optional(),
    template_data: z.record(z.string(), z.unknown()).optional(),
  }),
  provider_type: z.enum(PROVIDER_TYPES),
  provider_name: z.string().min(1),
  metadata: z.record(z.string(), z.string()).optional(),
  created_at: z.string().min(1),
});

const emailRequestedSchema = z.object({
  event_type: z.literal('email.requested').optional(),
  to: z.string().min(1),
  template: z.enum(ACCOUNT_TEMPLATES),
  display_name: z.string().max(256).optional().nullable(),
  token: z.string().min(1).max(4096),
  base_url: z.url(),
  is_resend: z.boolean().optional(),
  organization_name: z.string().max(256).optional().nullable(),
});

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`).join('; ');
}

/** The payload as kept in the ledger and the DLQ: a one-time token sealed, never in clear. */
function storablePayload(queue: IntakeQueue, payload: unknown, sealKey: Buffer): unknown {
  if (queue !== EMAIL_REQUESTED_QUEUE || !payload || typeof payload !== 'object') return payload;
  const { token, ...rest } = payload as Record<string, unknown>;
  return typeof token === 'string'
    ? { ...rest, token: '[redacted]', sealed_token: sealSecret(sealKey, token) }
    : rest;
}

function restorePayload(payload: unknown, sealKey: Buffer): unknown {
  if (!payload || typeof payload !== 'object') return payload;
  const { sealed_token: sealed, ...rest } = payload as Record<string, unknown>;
  return typeof sealed === 'string' ? { ...rest, token: openSecret(sealKey, sealed) } : payload;
}

function ledgerPayload(payload: unknown): unknown {
  if (!payload || typeof payload !== 'object') return payload;
  const { sealed_token: _sealed, ...rest } = payload as Record<string, unknown>;
  return rest;
}

export interface IntakeDeps {
  repositories: NotificationRepositories;
  notifications: Notifications;
  config: NotificationConfig;
  sealKey: Buffer;
  allowPrivate: boolean;
  logger: Logger;
}

/**
 * The bus side of the service: `notification.requests` → `notification.events.queue` and
 * account's `email.requested` → `notification.email-requested.queue`. Each message is checked,
 * deduplicated on its id (kept in PostgreSQL, so across restarts), and turned into a queued
 * notification in one transaction; what can never be processed goes to `notification.events.dlq`.
 * A handler error (database down) leaves the message to the transport to deliver again.
 */
export class Intake {
  constructor(private readonly deps: IntakeDeps) {}

  async start(bus: MessageTransport): Promise<() => Promise<void>> {
    const requests = await bus.subscribe(
      REQUESTS_EXCHANGE,
      '*.send',
      (message) => this.handle(EVENTS_QUEUE, message),
      {
        queue: EVENTS_QUEUE,
      },
    );
    const emails = await bus.subscribe(
      ACCOUNT_EXCHANGE,
      'email.requested',
      (message) => this.handle(EMAIL_REQUESTED_QUEUE, message),
      { queue: EMAIL_REQUESTED_QUEUE },
    );
    return async () => {
      await requests();
      await emails();
    };
  }

  async handle(queue: IntakeQueue, message: BusMessage, replay?: { deadLetterId: string }): Promise<void> {
    const startedAt = new Date();
    const parsed = this.parse(queue, message);
    const stored = storablePayload(queue, message.payload, this.deps.sealKey);
    const outcome = await this.deps.repositories.transaction(async (tx) => {
      if (replay) {
        if (!(await tx.deadLetters.claimReplay(replay.deadLetterId, new Date())))
          throw notificationErrors.failedPrecondition(
            `dead letter ${replay.deadLetterId} was already replayed or purged`,
          );
        await tx.processedMessages.claimReplay(parsed.dedupId, queue);
      } else if (!(await tx.processedMessages.claim(parsed.dedupId, queue))) {
        await this.ledger(tx, queue, message, stored, startedAt, 'duplicate');
        return 'duplicate' as const;
      }
      if (parsed.problem || !parsed.item) {
        await this.deadLetter(tx, queue, message, stored, parsed.problem ?? 'invalid message');
        await tx.processedMessages.setOutcome(parsed.dedupId, 'dead_lettered');
        await this.ledger(tx, queue, message, stored, startedAt, 'dead_lettered');
        return 'dead_lettered' as const;
      }
      const [row] = await this.deps.notifications.insert(tx, [parsed.item], {
        source: parsed.source,
        sourceMessageId: parsed.dedupId,
        sensitive: parsed.sensitive,
      });
      await tx.processedMessages.setOutcome(parsed.dedupId, 'accepted', row!.id);
      await this.ledger(tx, queue, message, stored, startedAt, 'acked');
      return row!.id;
    });
    // Never the payload: it may carry a one-time token.
    const fields = { queue, messageId: message.messageId, topic: message.topic };
    if (outcome === 'duplicate') this.deps.logger.info(fields, 'duplicate message dropped');
    else if (outcome === 'dead_lettered')
      this.deps.logger.warn({ ...fields, reason: parsed.problem }, 'message dead-lettered');
    else this.deps.logger.debug({ ...fields, notificationId: outcome }, 'message accepted');
  }

  /** Replays a dead letter that never became a notification (a bad or unroutable message), once. */
  async replay(deadLetter: {
    id: string;
    source_queue: string;
    message_id: string | null;
    payload: unknown;
  }) {
    const queue = deadLetter.source_queue as IntakeQueue;
    const payload = restorePayload(deadLetter.payload, this.deps.sealKey) as { _bus?: BusMessage } & Record<
      string,
      unknown
    >;
    const { _bus: envelope, ...body } = payload;
    await this.handle(
      queue,
      {
        exchange: envelope?.exchange ?? (queue === EVENTS_QUEUE ? REQUESTS_EXCHANGE : ACCOUNT_EXCHANGE),
        topic: envelope?.topic ?? '',
        headers: envelope?.headers ?? {},
        messageId: deadLetter.message_id ?? deadLetter.id,
        payload: body,
      },
      { deadLetterId: deadLetter.id },
    );
  }

  private parse(queue: IntakeQueue, message: BusMessage): Parsed {
    const fallbackId = message.messageId;
    try {
      if (Buffer.byteLength(JSON.stringify(message.payload ?? null)) > MAX_NOTIFICATION_BYTES)
        throw new Rejection('oversize: the message is larger than 1 MiB');
      return queue === EVENTS_QUEUE ? this.parseRequest(message) : this.parseEmailRequested(message);
    } catch (error) {
      const problem =
        error instanceof Rejection || error instanceof TemplateError
          ? error.message
          : isNotificationError(error)
            ? error.message
            : `invalid message: ${(error as Error).message}`;
      const id = (message.payload as { id?: unknown } | null)?.id;
      return {
        dedupId: queue === EVENTS_QUEUE && typeof id === 'string' && id.length > 0 ? id : fallbackId,
        sensitive: queue === EMAIL_REQUESTED_QUEUE,
        source: queue === EVENTS_QUEUE ? 'bus' : 'account',
        problem,
      };
    }
  }

  private parseRequest(message: BusMessage): Parsed {
    const result = requestSchema.safeParse(message.payload);
    if (!result.success) throw new Rejection(`malformed: ${describe(result.error)}`);
    const request = result.data;
    if (message.topic !== `${request.provider_type}.send`)
      throw new Rejection(
        `malformed: routing key ${message.topic} does not match provider_type ${request.provider_type}`,
      );
    const instance = this.deps.config.providers.find((candidate) => candidate.name === request.provider_name);
    if (!instance) throw new Rejection(`unknown provider: ${request.provider_name} is not configured`);
    if (instance.type !== request.provider_type)
      throw new Rejection(
        `unknown provider: ${request.provider_name} is a ${instance.type} provider, not ${request.provider_type}`,
      );
    const type = request.provider_type as ProviderType;
    const recipient = request.recipient;
    const metadata = request.metadata ?? {};
    const address =
      type === 'email'
        ? recipient.email
        : type === 'telegram'
          ? recipient.telegram_chat_id === undefined
            ? undefined
            : String(recipient.telegram_chat_id)
          : type === 'whatsapp'
            ? recipient.whatsapp_number
            : type === 'http'
              ? instance.url
              : type === 'grpc'
                ? instance.target
                : (metadata.routing_key ?? 'notification.requested');
    let content: StoredContent = {
      subject: request.content.subject ?? '',
      body: request.content.body,
      is_html: request.content.is_html === true,
      html_body: request.content.html_body ?? '',
    };
    if (request.content.template_data) {
      const data = request.content.template_data;
      content = {
        subject: render(content.subject, data, { html: false }),
        body: render(content.body, data, { html: content.is_html }),
        is_html: content.is_html,
        html_body: content.html_body ? render(content.html_body, data, { html: true }) : '',
      };
    }
    const item = validateCreate(
      {
        recipients: [{ type, address: address ?? '', name: recipient.name ?? '' }],
        content,
        provider_type: type,
        metadata,
        priority: metadata.priority ?? 'normal',
      },
      { providers: this.deps.config.providers, allowPrivate: this.deps.allowPrivate },
    );
    return {
      dedupId: request.id,
      item: { ...item, providerName: instance.name },
      sensitive: false,
      source: 'bus',
    };
  }

  private parseEmailRequested(message: BusMessage): Parsed {
    const result = emailRequestedSchema.safeParse(message.payload);
    if (!result.success) throw new Rejection(`malformed: ${describe(result.error)}`);
    const event = result.data;
    const instance = providerFor(this.deps.config.providers, 'email');
    const content = renderAccountMail(event.template, {
      name: event.display_name || 'there',
      link: accountLink(event.template, event.base_url, event.token),
      ...(event.organization_name ? { organization: event.organization_name } : {}),
      ...(event.is_resend !== undefined ? { is_resend: event.is_resend } : {}),
    });
    const item = validateCreate(
      {
        recipients: [{ type: 'email', address: event.to, name: event.display_name ?? '' }],
        content,
        provider_type: 'email',
        priority: 'high',
        metadata: { template: event.template, source: 'account.events' },
      },
      { providers: this.deps.config.providers, allowPrivate: this.deps.allowPrivate },
    );
    return {
      dedupId: message.messageId,
      item: { ...item, providerName: instance.name },
      sensitive: true,
      source: 'account',
    };
  }

  private ledger(
    tx: NotificationTransaction,
    queue: IntakeQueue,
    message: BusMessage,
    stored: unknown,
    startedAt: Date,
    status: string,
  ) {
    return tx.messageLedger.recordIntake({
      queue,
      message_id: message.messageId,
      payload: ledgerPayload(stored),
      headers: { ...message.headers, routing_key: message.topic },
      status,
      publishedAt: message.publishedAt ?? startedAt,
      deliveredAt: startedAt,
      deliveryCount: message.deliveryCount ?? 1,
    });
  }

  private async deadLetter(
    tx: NotificationTransaction,
    queue: IntakeQueue,
    message: BusMessage,
    stored: unknown,
    reason: string,
  ) {
    const id = newDeadLetterId();
    const bus = { exchange: message.exchange, topic: message.topic, headers: message.headers };
    const payload =
      stored && typeof stored === 'object'
        ? { ...(stored as Record<string, unknown>), _bus: bus }
        : { value: stored, _bus: bus };
    await tx.deadLetters.insert({
      id,
      notification_id: null,
      message_id: message.messageId,
      source_queue: queue,
      reason: reason.slice(0, 1000),
      attempts: message.deliveryCount ?? 1,
      payload,
    });
    await tx.messageLedger.insertMany([
      {
        queue: DEAD_LETTER_QUEUE,
        message_id: id,
        payload: ledgerPayload(payload),
        headers: { reason: reason.slice(0, 200), source_queue: queue },
        status: 'ready',
      },
    ]);
  }
}
