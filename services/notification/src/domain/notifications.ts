import { createHash } from 'node:crypto';
import {
  type Outbox,
  type OutboxMessage,
  openSecret,
  type SqlExecutor,
  sealSecret,
} from '@trustplane/kernel';
import type { Logger } from 'pino';
import { PROVIDER_TYPES, type NotificationConfig } from '../config.js';
import type { RecipientRow } from '../db/notification-recipients-repository.js';
import type {
  NotificationFilter,
  NotificationInsert,
  NotificationRow,
} from '../db/notifications-repository.js';
import type { NotificationRepositories, NotificationTransaction } from '../db/repositories.js';
import type { NotificationStatus, StoredContent } from '../db/schema.js';
import { type DeliveryQueue, type DeliverySpec, newJobId } from '../queue/delivery-queue.js';
import { OUTBOUND_EXCHANGE } from '../queue/names.js';
import { notificationErrors } from './errors.js';
import { NOTIFICATION_ID, newBatchId, newNotificationId } from './ids.js';
import type { NewNotification } from './validation.js';

export const STATUSES: readonly NotificationStatus[] = [
  'queued',
  'processing',
  'retrying',
  'delivered',
  'failed',
  'cancelled',
];

export type { NotificationRow, RecipientRow };

export interface NotificationView {
  row: NotificationRow;
  recipients: RecipientRow[];
}

export interface CreateOptions {
  /** grpc | bus | account */
  source: string;
  sourceMessageId?: string;
  batchId?: string;
  /** The content carries a secret (a one-time link): sealed at rest, redacted when read, wiped once delivered. */
  sensitive?: boolean;
}

export interface HistoryQuery {
  page: number;
  pageSize: number;
  filters: Record<string, string>;
}

export interface Stats {
  pending: number;
  processing: number;
  delivered: number;
  failed: number;
  cancelled: number;
  queued: number;
  retrying: number;
  average_delivery_time: number;
}

const REDACTED_BODY = '[redacted: this message carried a one-time link]';
const HISTORY_FILTERS = ['status', 'provider_type', 'date_from', 'date_to'] as const;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

export interface NotificationsDeps {
  repositories: NotificationRepositories;
  outbox: Pick<Outbox, 'publish'>;
  queue: DeliveryQueue;
  config: NotificationConfig;
  /** Seals sensitive content at rest. */
  sealKey: Buffer;
  logger: Logger;
}

interface StatusEvent {
  id: string;
  providerType: string;
  status: NotificationStatus;
  attempt: number;
  error?: string | null;
}

/** A status change as its `notification.outbound` message (`notification.<status>.<provider>`). */
export function statusMessage(event: StatusEvent): OutboxMessage {
  return {
    exchange: OUTBOUND_EXCHANGE,
    topic: `notification.${event.status}.${event.providerType}`,
    payload: {
      notification_id: event.id,
      status: event.status,
      provider_type: event.providerType,
      attempt: event.attempt,
      ...(event.status === 'failed' && event.error ? { error: event.error } : {}),
      timestamp: new Date().toISOString(),
    },
  };
}

/** A status change on `notification.outbound`, in the caller's transaction. */
export function publishStatus(outbox: Pick<Outbox, 'publish'>, executor: SqlExecutor, event: StatusEvent) {
  return outbox.publish(executor, statusMessage(event));
}

/** How long one attempt of `recipients` may run before the queue presumes its worker crashed. */
export function attemptBudgetSeconds(config: NotificationConfig, recipients: number): number {
  const rounds = Math.ceil(recipients / config.recipientConcurrency);
  // Each round is bounded by the send timeout (the call is aborted); the margin covers the database work.
  return rounds * Math.ceil(config.sendTimeoutMs / 1000) + 10;
}

export function checkNotificationId(id: string | undefined): string {
  if (!id) throw notificationErrors.invalidArgument('notification_id', 'is required');
  if (!NOTIFICATION_ID.test(id))
    throw notificationErrors.invalidArgument('notification_id', 'must look like ntf_<26-character ULID>');
  return id;
}

function canonicalHash(value: unknown): string {
  const canonical = (input: unknown): unknown => {
    if (Array.isArray(input)) return input.map(canonical);
    if (input && typeof input === 'object' && !(input instanceof Date)) {
      return Object.fromEntries(
        Object.keys(input)
          .sort()
          .map((key) => [key, canonical((input as Record<string, unknown>)[key])]),
      );
    }
    return input;
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex');
}

export class Notifications {
  constructor(private readonly deps: NotificationsDeps) {}

  /**
   * Stores notifications `queued` with their recipients and first delivery jobs, in `tx`.
   * Returns the rows in input order.
   */
  async insert(
    tx: NotificationTransaction,
    items: NewNotification[],
    options: CreateOptions,
  ): Promise<NotificationRow[]> {
    const now = new Date();
    const specs: DeliverySpec[] = [];
    const rows = items.map((item): NotificationInsert => {
      const id = newNotificationId();
      const jobId = newJobId();
      specs.push({
        jobId,
        notificationId: id,
        priority: item.priority,
        startAfter: item.scheduledAt,
        expireInSeconds: attemptBudgetSeconds(this.deps.config, item.recipients.length),
      });
      return {
        id,
        batch_id: options.batchId ?? null,
        source: options.source,
        source_message_id: options.sourceMessageId ?? null,
        provider_type: item.providerType,
        provider_name: item.providerName,
        priority: item.priority,
        status: 'queued',
        content: options.sensitive ? { ...item.content, body: REDACTED_BODY, html_body: '' } : item.content,
        sealed_content: options.sensitive
          ? sealSecret(this.deps.sealKey, JSON.stringify(item.content))
          : null,
        sensitive: options.sensitive === true,
        metadata: item.metadata,
        max_retries: item.maxRetries,
        job_id: jobId,
        scheduled_at: item.scheduledAt,
        next_attempt_at: item.scheduledAt ?? now,
        created_at: now,
        updated_at: now,
      };
    });
    await tx.notifications.insertMany(rows);
    await tx.recipients.insertMany(
      items.flatMap((item, index) =>
        item.recipients.map((recipient, position) => ({
          notification_id: rows[index]!.id,
          position,
          type: recipient.type,
          address: recipient.address,
          name: recipient.name,
        })),
      ),
    );
    await this.deps.queue.enqueue(tx, specs);
    return rows.map((row) => ({
      ...row,
      attempts: 0,
      budget_start: 0,
      last_error: null,
      cancel_requested_at: null,
      claimed_at: null,
      delivered_at: null,
      failed_at: null,
      cancelled_at: null,
    }));
  }

  /**
   * Runs `create` once per idempotency key: the same request within the key's lifetime answers
   * the stored reply, a different request with the same key is FAILED_PRECONDITION.
   */
  async idempotent<T>(
    key: string | undefined,
    method: string,
    request: unknown,
    create: (tx: NotificationTransaction) => Promise<T>,
  ): Promise<T> {
    const { repositories } = this.deps;
    if (key === undefined) return repositories.transaction(create);
    if (key.length === 0 || key.length > 255)
      throw notificationErrors.invalidArgument('idempotency-key', 'must be 1–255 characters');
    const requestHash = canonicalHash({ method, request });
    const ttlSeconds = this.deps.config.idempotencyTtlSeconds;
    return repositories.transaction(async (tx) => {
      // Claims the key, or renews it when the stored one has expired; a concurrent holder makes this wait.
      if (!(await tx.idempotencyKeys.claim({ key, method, requestHash, ttlSeconds }))) {
        const existing = await tx.idempotencyKeys.find(key);
        if (!existing) throw new Error(`idempotency key ${key} vanished while held`);
        if (existing.method !== method || existing.request_hash !== requestHash)
          throw notificationErrors.failedPrecondition(
            'idempotency-key: already used with a different request',
          );
        return existing.response as T;
      }
      const response = await create(tx);
      await tx.idempotencyKeys.saveResponse(key, response);
      return response;
    });
  }

  newBatchId(): string {
    return newBatchId();
  }

  async get(id: string): Promise<NotificationView> {
    checkNotificationId(id);
    const row = await this.deps.repositories.notifications.find(id);
    if (!row) throw notificationErrors.notFound(`notification ${id} not found`);
    return { row, recipients: await this.deps.repositories.recipients.listFor(id) };
  }

  async history(
    query: HistoryQuery,
  ): Promise<{ items: NotificationView[]; total: number; page: number; pageSize: number }> {
    if (query.page < 0) throw notificationErrors.invalidArgument('page', 'must be 1 or more');
    if (query.pageSize < 0) throw notificationErrors.invalidArgument('page_size', 'must be 1 or more');
    const page = query.page === 0 ? 1 : query.page;
    const pageSize = Math.min(query.pageSize === 0 ? 20 : query.pageSize, 100);
    const filter: NotificationFilter = {};
    for (const [key, value] of Object.entries(query.filters)) {
      if (!(HISTORY_FILTERS as readonly string[]).includes(key))
        throw notificationErrors.invalidArgument(
          `filters.${key}`,
          `unknown filter; use ${HISTORY_FILTERS.join(', ')}`,
        );
      if (value === '') continue;
      if (key === 'status') {
        if (!(STATUSES as readonly string[]).includes(value))
          throw notificationErrors.invalidArgument('filters.status', `must be one of ${STATUSES.join(', ')}`);
        filter.status = value as NotificationStatus;
      } else if (key === 'provider_type') {
        if (!(PROVIDER_TYPES as readonly string[]).includes(value))
          throw notificationErrors.invalidArgument(
            'filters.provider_type',
            `must be one of ${PROVIDER_TYPES.join(', ')}`,
          );
        filter.providerType = value;
      } else {
        const bound = parseDateFilter(key, value);
        if (key === 'date_from') filter.createdFrom = bound;
        // A date-only `date_to` includes that whole day.
        else if (DATE_ONLY.test(value)) filter.createdBefore = new Date(bound.getTime() + 86_400_000);
        else filter.createdUntil = bound;
      }
    }
    const from = query.filters.date_from ? parseDateFilter('date_from', query.filters.date_from) : undefined;
    const to = query.filters.date_to ? parseDateFilter('date_to', query.filters.date_to) : undefined;
    if (from && to && from.getTime() > to.getTime())
      throw notificationErrors.invalidArgument('filters.date_from', 'must not be after date_to');
    const { total, rows } = await this.deps.repositories.notifications.page(filter, {
      limit: pageSize,
      offset: (page - 1) * pageSize,
    });
    const recipients = await this.deps.repositories.recipients.listForMany(rows.map((row) => row.id));
    const byNotification = new Map<string, RecipientRow[]>();
    for (const recipient of recipients) {
      const list = byNotification.get(recipient.notification_id) ?? [];
      list.push(recipient);
      byNotification.set(recipient.notification_id, list);
    }
    return {
      items: rows.map((row) => ({ row, recipients: byNotification.get(row.id) ?? [] })),
      total,
      page,
      pageSize,
    };
  }

  /**
   * queued/retrying → cancelled, its waiting attempt cancelled; processing → no further attempt
   * (what the provider already accepted stays delivered); delivered/failed → FAILED_PRECONDITION.
   */
  async cancel(id: string): Promise<{ success: boolean; message: string }> {
    checkNotificationId(id);
    return this.deps.repositories.transaction(async (tx) => {
      const row = await tx.notifications.lock(id);
      if (!row) throw notificationErrors.notFound(`notification ${id} not found`);
      switch (row.status) {
        case 'cancelled':
          return { success: true, message: 'already cancelled' };
        case 'delivered':
        case 'failed':
          throw notificationErrors.failedPrecondition(
            `notification ${id} is ${row.status}; only queued, retrying or processing notifications can be cancelled`,
          );
        case 'processing':
          await tx.notifications.requestCancel(id, new Date());
          return { success: true, message: 'cancelled; no further attempt will be made' };
        default: {
          await this.markCancelled(tx, row);
          return { success: true, message: 'cancelled' };
        }
      }
    });
  }

  /** Sets a waiting notification cancelled, cancels its job and publishes the change. */
  async markCancelled(tx: NotificationTransaction, row: NotificationRow): Promise<void> {
    await tx.notifications.cancelWaiting(row.id, new Date());
    if (row.job_id) await this.deps.queue.cancel(tx, [row.job_id]);
    await publishStatus(this.deps.outbox, tx.executor, {
      id: row.id,
      providerType: row.provider_type,
      status: 'cancelled',
      attempt: row.attempts,
    });
  }

  /** failed → queued with a fresh retry budget; recipients already accepted are not sent again. */
  async retry(
    id: string,
    options: { deadLetterId?: string } = {},
  ): Promise<{ success: boolean; message: string }> {
    checkNotificationId(id);
    return this.deps.repositories.transaction(async (tx) => {
      const row = await tx.notifications.lock(id);
      if (!row) throw notificationErrors.notFound(`notification ${id} not found`);
      if (row.status !== 'failed')
        throw notificationErrors.failedPrecondition(
          `notification ${id} is ${row.status}; only failed notifications can be retried`,
        );
      const recipients = await tx.recipients.countUnaccepted(id);
      const jobId = newJobId();
      const now = new Date();
      await tx.notifications.requeue(id, { jobId, budgetStart: row.attempts, at: now });
      await tx.recipients.resetFailed(id);
      await tx.deadLetters.markReplayedFor(id, now, options.deadLetterId);
      await this.deps.queue.enqueue(tx, [
        {
          jobId,
          notificationId: id,
          priority: row.priority,
          startAfter: null,
          expireInSeconds: attemptBudgetSeconds(this.deps.config, recipients),
        },
      ]);
      return { success: true, message: 'queued for retry' };
    });
  }

  async stats(): Promise<Stats> {
    const by = await this.deps.repositories.notifications.countByStatus();
    const average = await this.deps.repositories.notifications.averageDeliverySeconds();
    const queued = by.queued ?? 0;
    const retrying = by.retrying ?? 0;
    return {
      pending: queued + retrying,
      processing: by.processing ?? 0,
      delivered: by.delivered ?? 0,
      failed: by.failed ?? 0,
      cancelled: by.cancelled ?? 0,
      queued,
      retrying,
      average_delivery_time: Math.round((average ?? 0) * 1000) / 1000,
    };
  }

  /** The real content of a notification: opened from its seal when sensitive. */
  content(row: Pick<NotificationRow, 'content' | 'sealed_content' | 'sensitive' | 'id'>): StoredContent {
    if (!row.sensitive) return row.content;
    if (!row.sealed_content)
      throw notificationErrors.failedPrecondition(`notification ${row.id} content was wiped after delivery`);
    return JSON.parse(openSecret(this.deps.sealKey, row.sealed_content)) as StoredContent;
  }
}

function parseDateFilter(key: string, value: string): Date {
  if (!DATE_ONLY.test(value) && !RFC3339.test(value))
    throw notificationErrors.invalidArgument(
      `filters.${key}`,
      'must be an RFC 3339 timestamp or a YYYY-MM-DD date',
    );
  const date = new Date(DATE_ONLY.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime()))
    throw notificationErrors.invalidArgument(`filters.${key}`, 'is not a valid date');
  return date;
}
