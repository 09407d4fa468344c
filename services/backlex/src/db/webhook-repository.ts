import type { Kysely, Selectable } from 'kysely';
import { isUniqueViolation } from '@trustplane/kernel';
import { type EventsExecutor, eventsTables } from './events-executor.js';
import type { EventsDatabase, WebhookTable } from './events-tables.js';

export type WebhookRow = Selectable<WebhookTable>;

export interface NewWebhook {
  id: string;
  org_id: string;
  url: string;
  events: string[];
  managed: boolean;
  secret_sealed: string;
}

/** A second managed webhook for one org (two concurrent `PATCH /org` setting `webhookUrl`). */
export class ManagedWebhookExistsError extends Error {
  override readonly name = 'ManagedWebhookExistsError';
}

export function createWebhookRepository(db: Kysely<EventsDatabase>) {
  return {
    async insert<DB extends EventsDatabase>(
      row: NewWebhook,
      executor?: EventsExecutor<DB>,
    ): Promise<WebhookRow> {
      try {
        return await (executor ? eventsTables(executor) : db)
          .insertInto('webhooks')
          .values(row)
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error, 'webhooks_one_managed_per_org')) throw new ManagedWebhookExistsError();
        throw error;
      }
    },
    list<DB extends EventsDatabase>(orgId: string, executor?: EventsExecutor<DB>): Promise<WebhookRow[]> {
      return (executor ? eventsTables(executor) : db)
        .selectFrom('webhooks')
        .selectAll()
        .where('org_id', '=', orgId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    byId(orgId: string, id: string): Promise<WebhookRow | undefined> {
      return db
        .selectFrom('webhooks')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .executeTakeFirst();
    },
    /** Deletes an unmanaged webhook; the managed one is removed only through `deleteManaged`. */
    async deleteUnmanaged<DB extends EventsDatabase>(
      orgId: string,
      id: string,
      executor?: EventsExecutor<DB>,
    ): Promise<boolean> {
      const result = await (executor ? eventsTables(executor) : db)
        .deleteFrom('webhooks')
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .where('managed', '=', false)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async deleteManaged<DB extends EventsDatabase>(
      executor: EventsExecutor<DB>,
      orgId: string,
    ): Promise<void> {
      await eventsTables(executor)
        .deleteFrom('webhooks')
        .where('org_id', '=', orgId)
        .where('managed', '=', true)
        .execute();
    },
  };
}

export type WebhookRepository = ReturnType<typeof createWebhookRepository>;
