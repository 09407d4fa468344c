import { randomUUID } from 'node:crypto';
import type { WebhookDispatcher } from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import type { EventsDatabase } from '../db/events-tables.js';
import type { EventRepository } from '../db/event-repository.js';
import type { IntegrationRepository } from '../db/integration-repository.js';
import type { NotificationRepository } from '../db/notification-repository.js';
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
export function createFanOut(deps: FanOutDeps) {
  return {
    async run(eventId: string): Promise<FanOutResult | undefined> {
      return deps.db.transaction().execute(async (transaction) => {
        const event = await deps.events.lockPending(transaction, eventId);
        if (!event) return undefined;
        const result: FanOutResult = { webhooks: 0, integrations: 0, notifications: 0 };
        const payload = webhookEnvelope({
          id: event.id,
          type: event.type,
          orgId: event.org_id,
          createdAt: event.created_at,
          data: event.data,
        });
        for (const webhook of await deps.webhookRows.list(event.org_id, transaction)) {
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
        for (const integration of await deps.integrations.list(event.org_id, transaction)) {
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
      });
    },
  };
}

export type FanOut = ReturnType<typeof createFanOut>;
