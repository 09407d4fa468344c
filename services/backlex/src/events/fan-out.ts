import { randomUUID } from 'node:crypto';
import type { WebhookDispatcher } from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import type { EventsDatabase } from '../db/events-tables.js';
import type { EventRepository, EventRow } from '../db/event-repository.js';
import type { IntegrationRepository } from '../db/integration-repository.js';
import type { NotificationRepository } from '../db/notification-repository.js';
import { inSavepoint } from '../db/transaction-steps.js';
import type { WebhookRepository } from '../db/webhook-repository.js';
import { webhookEnvelope, webhookOwner, type Webhooks } from '../webhooks/webhooks.js';
import { type EventType, NOTIFICATION_RULES, subscribed } from './catalogue.js';

/**
 * The user ids of an org's members holding one of `roles` (the identity tables answer it), read
 * in the fan-out's transaction.
 */
export type RecipientDirectory = (
  transaction: Kysely<EventsDatabase>,
  orgId: string,
  roles: readonly string[],
) => Promise<string[]>;

export interface FanOutDeps {
  db: Kysely<EventsDatabase>;
  events: EventRepository;
  webhookRows: WebhookRepository;
  webhooks: Webhooks;
  integrations: IntegrationRepository;
  notifications: NotificationRepository;
  recipients: RecipientDirectory;
  dispatcher: WebhookDispatcher;
  /** Queues one integration delivery in the fan-out's transaction. */
  sendIntegration(
    transaction: Kysely<EventsDatabase>,
    payload: { eventId: string; integrationId: string },
  ): Promise<void>;
}

interface Subscribers {
  webhooks: Awaited<ReturnType<WebhookRepository['list']>>;
  integrations: Awaited<ReturnType<IntegrationRepository['list']>>;
}

export interface FanOutResult {
  webhooks: number;
  integrations: number;
  notifications: number;
}

/**
 * Hands one event to everything subscribed to it, in one transaction that also marks it fanned
 * out: a webhook delivery (kernel dispatcher: signed, SSRF-guarded, retried, an attempt row per
 * try) per matching webhook, a delivery job per matching integration, a notification per
 * recipient. A crash before the commit leaves nothing behind and the job runs again; after it,
 * the event is not fanned out twice.
 */
/** Events one fan-out transaction hands out at most: its own and up to this many minus one waiting. */
export const FAN_OUT_BATCH = 25;

export function createFanOut(deps: FanOutDeps) {
  /** One event to its webhooks, integrations and recipients, in the fan-out's transaction. */
  async function fanOne(
    transaction: Kysely<EventsDatabase>,
    event: EventRow,
    subscribers: (orgId: string) => Promise<Subscribers>,
  ): Promise<FanOutResult> {
    const result: FanOutResult = { webhooks: 0, integrations: 0, notifications: 0 };
    const payload = webhookEnvelope({
      id: event.id,
      type: event.type,
      orgId: event.org_id,
      createdAt: event.created_at,
      data: event.data,
    });
    const { webhooks, integrations } = await subscribers(event.org_id);
    for (const webhook of webhooks) {
      if (!subscribed(webhook.events, event.type)) continue;
      await deps.dispatcher.enqueue(transaction, {
        url: webhook.url,
        secret: deps.webhooks.openSecret(webhook),
        event: event.type,
        payload,
        owner: webhookOwner(event.org_id, webhook.id),
      });
      result.webhooks++;
    }
    for (const integration of integrations) {
      if (!subscribed(integration.events, event.type)) continue;
      await deps.sendIntegration(transaction, { eventId: event.id, integrationId: integration.id });
      result.integrations++;
    }
    const rule = NOTIFICATION_RULES[event.type as EventType];
    if (rule) {
      const except = rule.exceptUserId?.(event.data);
      const userIds = (await deps.recipients(transaction, event.org_id, rule.roles)).filter(
        (userId) => userId !== except,
      );
      const title = rule.title(event.data);
      const body = rule.body(event.data);
      await deps.notifications.insertMany(
        transaction,
        [...new Set(userIds)].map((userId) => ({
          id: randomUUID(),
          org_id: event.org_id,
          user_id: userId,
          event_id: event.id,
          type: event.type,
          title,
          body,
          data: event.data,
          created_at: event.created_at,
        })),
      );
      result.notifications = userIds.length;
    }
    await deps.events.markFannedOut(transaction, event.id);
    return result;
  }

  return {
    /**
     * Fans out the job's own event and, in the same transaction, up to `FAN_OUT_BATCH − 1` other
     * events still waiting (their own jobs then find them done): a burst of events costs a
     * transaction per batch instead of one each. Each extra event runs under a savepoint, so one
     * that fails is left to its own job (retries, dead letter) and never holds up the others; the
     * job's own event fails the job as before.
     */
    async run(eventId: string): Promise<FanOutResult | undefined> {
      return deps.db.transaction().execute(async (transaction) => {
        const event = await deps.events.lockPending(transaction, eventId);
        if (!event) return undefined;
        const cache = new Map<string, Promise<Subscribers>>();
        const subscribers = (orgId: string) => {
          let found = cache.get(orgId);
          if (!found) {
            found = Promise.all([
              deps.webhookRows.list(orgId, transaction),
              deps.integrations.list(orgId, transaction),
            ]).then(([webhooks, integrations]) => ({ webhooks, integrations }));
            cache.set(orgId, found);
          }
          return found;
        };
        const result = await fanOne(transaction, event, subscribers);
        for (const other of await deps.events.lockMorePending(transaction, event.id, FAN_OUT_BATCH - 1)) {
          try {
            const more = await inSavepoint(transaction, () => fanOne(transaction, other, subscribers));
            result.webhooks += more.webhooks;
            result.integrations += more.integrations;
            result.notifications += more.notifications;
          } catch {
            // Rolled back to its savepoint: this event stays pending, the rest of the batch commits.
          }
        }
        return result;
      });
    },
  };
}

export type FanOut = ReturnType<typeof createFanOut>;
