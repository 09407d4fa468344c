import { randomBytes, randomUUID } from 'node:crypto';
import {
  openSecret,
  type RateLimiter,
  sealSecret,
  type WebhookDeliveryDetail,
  type WebhookDispatcher,
} from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import type { EventsExecutor } from '../db/events-executor.js';
import type { EventsDatabase } from '../db/events-tables.js';
import type { WebhookRepository, WebhookRow } from '../db/webhook-repository.js';
import { errors } from '../errors.js';
import type { AuditHook } from '../events/audit-hook.js';
import { invalidFields } from '../events/invalid-fields.js';
import { invalidPatterns } from '../events/catalogue.js';
import { webhookUrlProblem } from './webhook-url.js';

/** A test delivery waits this long for the receiver (the seed's `test` route answers within it). */
export const TEST_TIMEOUT_MS = 10_000;
/** Deliveries `GET /webhook-deliveries` lists, newest first. */
export const DELIVERY_LIST_LIMIT = 100;

/** The `Webhook` object (the seed's is open; fields fixed in the README). */
export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  managed: boolean;
  createdAt: string;
  /** Only in the response that creates it. */
  secret?: string;
}

/** The `WebhookDelivery` object: one per event and webhook, with a row per attempt. */
export interface WebhookDeliveryView {
  id: string;
  webhookId: string | null;
  eventId: string | null;
  event: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
  attemptLog: {
    attempt: number;
    statusCode: number | null;
    error: string | null;
    durationMs: number;
    createdAt: string;
  }[];
}

export interface WebhookTestResult {
  ok: boolean;
  /** The receiver's HTTP status; null when none arrived (refused, unreachable, timed out). */
  status: number | null;
  durationMs: number;
  error?: string;
}

/** The managed webhook's URL is refused (`PATCH /org` answers 422 with this). */
export class InvalidWebhookUrlError extends Error {
  override readonly name = 'InvalidWebhookUrlError';
}

export interface WebhooksDeps {
  db: Kysely<EventsDatabase>;
  repository: WebhookRepository;
  dispatcher: WebhookDispatcher;
  /** Seals receivers' signing secrets at rest (32 bytes). */
  sealKey: Buffer;
  allowPrivate: boolean;
  /** `POST …/test`: 10 per minute per webhook. */
  testLimiter: RateLimiter;
}

/** `X-Trustplane-Delivery` owners are `backlex:<org>:<webhook>`: one org's deliveries share a prefix. */
export function webhookOwner(orgId: string, webhookId: string): string {
  return `backlex:${orgId}:${webhookId}`;
}

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function toView(row: WebhookRow, secret?: string): WebhookView {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    managed: row.managed,
    createdAt: row.created_at.toISOString(),
    ...(secret ? { secret } : {}),
  };
}

/** The JSON body every webhook receives: the event with its id (receivers deduplicate on it). */
export function webhookEnvelope(event: {
  id: string;
  type: string;
  orgId: string;
  createdAt: Date;
  data: Record<string, unknown>;
}) {
  return {
    id: event.id,
    type: event.type,
    orgId: event.orgId,
    createdAt: event.createdAt.toISOString(),
    data: event.data,
  };
}

export function createWebhooks(deps: WebhooksDeps) {
  const { repository, dispatcher, sealKey, allowPrivate } = deps;

  function checkUrl(url: string, field: string): void {
    const problem = webhookUrlProblem(url, allowPrivate);
    if (problem) throw invalidFields([{ path: field, message: problem }]);
  }

  async function owned(orgId: string, id: string): Promise<WebhookRow> {
    const row = /^[0-9a-f-]{36}$/i.test(id) ? await repository.byId(orgId, id) : undefined;
    if (!row) throw errors.NOT_FOUND('Webhook not found');
    return row;
  }

  return {
    /** Creates a webhook; its signing secret is in this answer only. */
    async create(
      orgId: string,
      input: { url: string; events: string[] },
      audit: AuditHook,
    ): Promise<WebhookView> {
      const unknown = invalidPatterns(input.events);
      if (unknown.length > 0) {
        throw invalidFields(
          unknown.map((pattern) => ({
            path: `events.${input.events.indexOf(pattern)}`,
            message: `unknown event pattern ${JSON.stringify(pattern)}: use an event name, <namespace>.* or *`,
          })),
        );
      }
      checkUrl(input.url, 'url');
      const secret = newSecret();
      const row = await deps.db.transaction().execute(async (transaction) => {
        const created = await repository.insert(
          {
            id: randomUUID(),
            org_id: orgId,
            url: input.url,
            events: [...new Set(input.events)],
            managed: false,
            secret_sealed: sealSecret(sealKey, secret),
          },
          transaction,
        );
        await audit(transaction, {
          action: 'webhook.created',
          target: { type: 'webhook', id: created.id },
          data: { url: created.url, events: created.events },
        });
        return created;
      });
      return toView(row, secret);
    },

    async list(orgId: string): Promise<WebhookView[]> {
      return (await repository.list(orgId)).map((row) => toView(row));
    },

    /** 404 for an id of another org; 409 for the managed webhook. */
    async remove(orgId: string, id: string, audit: AuditHook): Promise<WebhookView> {
      const row = await owned(orgId, id);
      if (row.managed) throw errors.WEBHOOK_MANAGED();
      await deps.db.transaction().execute(async (transaction) => {
        if (!(await repository.deleteUnmanaged(orgId, id, transaction)))
          throw errors.NOT_FOUND('Webhook not found');
        await audit(transaction, {
          action: 'webhook.deleted',
          target: { type: 'webhook', id },
          data: { url: row.url },
        });
      });
      return toView(row);
    },

    /**
     * `PATCH /org/{slug}` with `webhookUrl`, in the caller's transaction: null removes the managed
     * webhook; a URL replaces it with a webhook for `*` and a new secret, returned (once) for the
     * response's `webhookSecret`. The same URL again changes nothing and returns undefined.
     * Throws `InvalidWebhookUrlError` for a URL a webhook may not have (→ 422).
     */
    async setManagedWebhook<DB extends EventsDatabase>(
      transaction: EventsExecutor<DB>,
      orgId: string,
      url: string | null,
    ): Promise<{ secret: string; webhook: WebhookView } | undefined> {
      if (url !== null) {
        const problem = webhookUrlProblem(url, allowPrivate);
        if (problem) throw new InvalidWebhookUrlError(`webhookUrl ${problem}`);
      }
      const current = (await repository.list(orgId, transaction)).find((row) => row.managed);
      if (current && current.url === url) return undefined;
      await repository.deleteManaged(transaction, orgId);
      if (url === null) return undefined;
      const secret = newSecret();
      const row = await repository.insert(
        {
          id: randomUUID(),
          org_id: orgId,
          url,
          events: ['*'],
          managed: true,
          secret_sealed: sealSecret(sealKey, secret),
        },
        transaction,
      );
      return { secret, webhook: toView(row) };
    },

    /**
     * A signed `webhook.test` now (not queued, not retried): the receiver's answer within 10 s.
     * A receiver that fails, or a destination the SSRF guard refuses, is `ok: false`, never an error.
     */
    async test(orgId: string, id: string, audit: AuditHook): Promise<WebhookTestResult> {
      const row = await owned(orgId, id);
      const decision = await deps.testLimiter.consume(row.id);
      if (!decision.allowed)
        throw errors.RATE_LIMITED(decision.retryAfterSeconds, 'Too many test deliveries');
      const eventId = randomUUID();
      const payload = webhookEnvelope({
        id: eventId,
        type: 'webhook.test',
        orgId,
        createdAt: new Date(),
        data: { webhookId: row.id, message: 'Test delivery from backlex' },
      });
      const response = await dispatcher.deliverNow({
        url: row.url,
        secret: openSecret(sealKey, row.secret_sealed),
        event: 'webhook.test',
        payload,
        deliveryId: eventId,
        timeoutMs: TEST_TIMEOUT_MS,
      });
      const status = response.statusCode ?? null;
      const ok = status !== null && status >= 200 && status < 300;
      const error = response.refused
        ? `destination refused: ${response.refused}`
        : (response.error ?? (ok ? undefined : `HTTP ${status}`));
      await deps.db.transaction().execute((transaction) =>
        audit(transaction, {
          action: 'webhook.tested',
          target: { type: 'webhook', id: row.id },
          data: { ok, status },
        }),
      );
      return { ok, status, durationMs: response.durationMs, ...(error ? { error } : {}) };
    },

    /** The newest 100 deliveries of the org, or of one of its webhooks (404 for another org's id). */
    async deliveries(orgId: string, webhookId?: string): Promise<WebhookDeliveryView[]> {
      const match = webhookId
        ? { owner: webhookOwner(orgId, (await owned(orgId, webhookId)).id) }
        : { ownerPrefix: webhookOwner(orgId, '') };
      const deliveries = await dispatcher.listDeliveriesWithAttempts(match, { limit: DELIVERY_LIST_LIMIT });
      const prefix = webhookOwner(orgId, '');
      return deliveries.map((delivery) => toDeliveryView(delivery, prefix));
    },

    /** For the fan-out: the secret a webhook signs with. */
    openSecret(row: WebhookRow): string {
      return openSecret(sealKey, row.secret_sealed);
    },
  };
}

function toDeliveryView(delivery: WebhookDeliveryDetail, ownerPrefix: string): WebhookDeliveryView {
  const payload = delivery.payload as { id?: unknown } | null;
  return {
    id: delivery.id,
    webhookId: delivery.owner?.startsWith(ownerPrefix) ? delivery.owner.slice(ownerPrefix.length) : null,
    eventId: typeof payload?.id === 'string' ? payload.id : null,
    event: delivery.event,
    url: delivery.url,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
    createdAt: delivery.createdAt.toISOString(),
    attemptLog: delivery.attemptLog.map((attempt) => ({
      attempt: attempt.attempt,
      statusCode: attempt.statusCode,
      error: attempt.error,
      durationMs: attempt.durationMs,
      createdAt: attempt.createdAt.toISOString(),
    })),
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
