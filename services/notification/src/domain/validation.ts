import net from 'node:net';
import { isBlockedAddress, urlHost } from '@trustplane/kernel';
import { z } from 'zod';
import { PROVIDER_TYPES, type ProviderInstance, type ProviderType } from '../config.js';
import type { Priority, StoredContent } from '../db/schema.js';
import { notificationErrors } from './errors.js';

export const PRIORITIES: readonly Priority[] = ['low', 'normal', 'high', 'urgent'];
export const MAX_RECIPIENTS = 1000;
export const MAX_BULK_ITEMS = 1000;
export const MAX_NOTIFICATION_BYTES = 1024 * 1024;
export const DEFAULT_MAX_RETRIES = 3;
const MAX_SCHEDULE_AHEAD_MS = 366 * 86_400_000;
const MAX_METADATA_ENTRIES = 64;

export interface RecipientInput {
  type?: string;
  address?: string;
  name?: string;
}

export interface ContentInput {
  subject?: string;
  body?: string;
  is_html?: boolean;
  html_body?: string;
}

export interface TimestampInput {
  seconds?: number | string;
  nanos?: number;
}

/** A create request as decoded from protobuf (CreateNotificationRequest or BulkNotificationItem). */
export interface CreateInput {
  recipients?: RecipientInput[] | null;
  content?: ContentInput | null;
  priority?: string;
  provider_type?: string;
  metadata?: Record<string, string> | null;
  max_retries?: number | undefined;
  scheduled_at?: TimestampInput | null;
}

export interface ValidRecipient {
  type: ProviderType;
  address: string;
  name: string;
}

export interface NewNotification {
  providerType: ProviderType;
  providerName: string;
  priority: Priority;
  recipients: ValidRecipient[];
  content: StoredContent;
  metadata: Record<string, string>;
  maxRetries: number;
  scheduledAt: Date | null;
}

const email = z.email();
const TELEGRAM_CHAT = /^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/;
const WHATSAPP_NUMBER = /^\+?[1-9]\d{6,14}$/;
const ROUTING_KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const CRLF = /[\r\n]/;
const hasControl = (value: string) => {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
};

/** Why `address` cannot be delivered by a provider of `type`, or undefined when it can. */
export function addressProblem(
  type: ProviderType,
  address: string,
  options: { allowPrivate: boolean },
): string | undefined {
  if (address.length === 0) return 'is required';
  if (address.length > 2048) return 'must be at most 2048 characters';
  if (hasControl(address)) return 'must not contain control characters';
  switch (type) {
    case 'email':
      return address.length <= 254 && email.safeParse(address).success
        ? undefined
        : 'is not a valid email address';
    case 'telegram':
      return TELEGRAM_CHAT.test(address) ? undefined : 'must be a Telegram chat id or @channel username';
    case 'whatsapp':
      return WHATSAPP_NUMBER.test(address)
        ? undefined
        : 'must be a phone number in E.164 form (+6281234567890)';
    case 'http': {
      let url: URL;
      try {
        url = new URL(address);
      } catch {
        return 'must be an http(s) URL';
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
      const host = urlHost(url);
      if (!options.allowPrivate && net.isIP(host) && isBlockedAddress(host))
        return 'must not point to a private or loopback address';
      return undefined;
    }
    case 'grpc': {
      const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
      const port = match ? Number(match[2]) : 0;
      return match && port >= 1 && port <= 65_535 ? undefined : 'must be a gRPC target host:port';
    }
    case 'rabbitmq':
      return address.length <= 255 && ROUTING_KEY.test(address)
        ? undefined
        : 'must be an AMQP routing key (words separated by dots)';
  }
}

function timestamp(field: string, input: TimestampInput | null | undefined): Date | null {
  if (!input) return null;
  const seconds = Number(input.seconds ?? 0);
  const nanos = Number(input.nanos ?? 0);
  if (!Number.isFinite(seconds) || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999)
    throw notificationErrors.invalidArgument(field, 'is not a valid timestamp');
  const date = new Date(seconds * 1000 + Math.floor(nanos / 1e6));
  if (Number.isNaN(date.getTime()) || seconds < 0)
    throw notificationErrors.invalidArgument(field, 'is not a valid timestamp');
  return date;
}

/** The first configured instance of `type`: what a gRPC request (which names no instance) uses. */
export function providerFor(providers: ProviderInstance[], type: ProviderType): ProviderInstance {
  const instance = providers.find((candidate) => candidate.type === type);
  if (!instance)
    throw notificationErrors.failedPrecondition(`provider_type: no ${type} provider is configured`);
  return instance;
}

/**
 * Checks a create request and returns the notification to store. `prefix` is prepended to
 * field names (`notifications[3].` for a bulk item). Throws INVALID_ARGUMENT naming the field,
 * or FAILED_PRECONDITION when the provider type is valid but not configured.
 */
export function validateCreate(
  input: CreateInput,
  options: { providers: ProviderInstance[]; allowPrivate: boolean; prefix?: string; now?: Date },
): NewNotification {
  const at = (field: string) => `${options.prefix ?? ''}${field}`;
  const providerType = input.provider_type ?? '';
  if (providerType === '') throw notificationErrors.invalidArgument(at('provider_type'), 'is required');
  if (!(PROVIDER_TYPES as readonly string[]).includes(providerType))
    throw notificationErrors.invalidArgument(
      at('provider_type'),
      `must be one of ${PROVIDER_TYPES.join(', ')}`,
    );
  const type = providerType as ProviderType;

  const priority = input.priority === undefined || input.priority === '' ? 'normal' : input.priority;
  if (!(PRIORITIES as readonly string[]).includes(priority))
    throw notificationErrors.invalidArgument(at('priority'), `must be one of ${PRIORITIES.join(', ')}`);

  const recipients = input.recipients ?? [];
  if (recipients.length === 0)
    throw notificationErrors.invalidArgument(at('recipients'), 'at least one recipient is required');
  if (recipients.length > MAX_RECIPIENTS)
    throw notificationErrors.invalidArgument(
      at('recipients'),
      `at most ${MAX_RECIPIENTS} recipients are allowed`,
    );
  const valid: ValidRecipient[] = recipients.map((recipient, index) => {
    const field = at(`recipients[${index}]`);
    const recipientType = recipient.type ?? '';
    if (recipientType !== '' && recipientType !== type)
      throw notificationErrors.invalidArgument(`${field}.type`, `must equal provider_type (${type})`);
    const address = (recipient.address ?? '').trim();
    const problem = addressProblem(type, address, { allowPrivate: options.allowPrivate });
    if (problem) throw notificationErrors.invalidArgument(`${field}.address`, problem);
    const name = recipient.name ?? '';
    if (name.length > 256)
      throw notificationErrors.invalidArgument(`${field}.name`, 'must be at most 256 characters');
    if (hasControl(name))
      throw notificationErrors.invalidArgument(`${field}.name`, 'must not contain control characters');
    return { type, address, name };
  });

  const content = input.content;
  if (!content) throw notificationErrors.invalidArgument(at('content'), 'is required');
  const subject = content.subject ?? '';
  if (CRLF.test(subject))
    throw notificationErrors.invalidArgument(at('content.subject'), 'must not contain CR or LF');
  if (subject.length > 998)
    throw notificationErrors.invalidArgument(at('content.subject'), 'must be at most 998 characters');
  const body = content.body ?? '';
  if (body.trim() === '') throw notificationErrors.invalidArgument(at('content.body'), 'must not be empty');

  const metadata = input.metadata ?? {};
  const entries = Object.entries(metadata);
  if (entries.length > MAX_METADATA_ENTRIES)
    throw notificationErrors.invalidArgument(
      at('metadata'),
      `at most ${MAX_METADATA_ENTRIES} entries are allowed`,
    );
  for (const [key] of entries) {
    if (key.length === 0 || key.length > 256)
      throw notificationErrors.invalidArgument(at('metadata'), 'keys must be 1–256 characters');
  }

  let maxRetries = DEFAULT_MAX_RETRIES;
  if (input.max_retries !== undefined && input.max_retries !== null) {
    if (!Number.isInteger(input.max_retries) || input.max_retries < 0 || input.max_retries > 10)
      throw notificationErrors.invalidArgument(at('max_retries'), 'must be between 0 and 10');
    maxRetries = input.max_retries;
  }

  const scheduledAt = timestamp(at('scheduled_at'), input.scheduled_at);
  const now = options.now ?? new Date();
  if (scheduledAt && scheduledAt.getTime() - now.getTime() > MAX_SCHEDULE_AHEAD_MS)
    throw notificationErrors.invalidArgument(at('scheduled_at'), 'must be within a year from now');

  const stored: StoredContent = {
    subject,
    body,
    is_html: content.is_html === true,
    html_body: content.html_body ?? '',
  };
  const size = Buffer.byteLength(JSON.stringify({ recipients: valid, content: stored, metadata }));
  if (size > MAX_NOTIFICATION_BYTES)
    throw notificationErrors.invalidArgument(
      at('content'),
      `the notification is ${size} bytes; at most 1 MiB (1048576 bytes) is allowed`,
    );

  const provider = providerFor(options.providers, type);
  return {
    providerType: type,
    providerName: provider.name,
    priority: priority as Priority,
    recipients: valid,
    content: stored,
    metadata,
    maxRetries,
    scheduledAt: scheduledAt && scheduledAt.getTime() > now.getTime() ? scheduledAt : null,
  };
}
