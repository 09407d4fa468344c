import type { Kysely, Selectable } from 'kysely';
import type { EventsExecutor } from './events-executor.js';
import { eventsTables } from './events-executor.js';
import type { EventsDatabase, IntegrationKind, IntegrationTable } from './events-tables.js';

export type IntegrationRow = Selectable<IntegrationTable>;

export interface NewIntegration {
  id: string;
  org_id: string;
  kind: IntegrationKind;
  config: Record<string, string>;
  secrets_sealed: string;
  secret_hints: Record<string, string>;
  events: string[] | null;
}

export function createIntegrationRepository(db: Kysely<EventsDatabase>) {
  return {
    insert<DB extends EventsDatabase>(
      row: NewIntegration,
      executor?: EventsExecutor<DB>,
    ): Promise<IntegrationRow> {
      return (executor ? eventsTables(executor) : db)
        .insertInto('integrations')
        .values({
          ...row,
          config: JSON.stringify(row.config),
          secret_hints: JSON.stringify(row.secret_hints),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    list<DB extends EventsDatabase>(orgId: string, executor?: EventsExecutor<DB>): Promise<IntegrationRow[]> {
      return (executor ? eventsTables(executor) : db)
        .selectFrom('integrations')
        .selectAll()
        .where('org_id', '=', orgId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    byId(id: string): Promise<IntegrationRow | undefined> {
      return db.selectFrom('integrations').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async delete<DB extends EventsDatabase>(
      orgId: string,
      id: string,
      executor?: EventsExecutor<DB>,
    ): Promise<boolean> {
      const result = await (executor ? eventsTables(executor) : db)
        .deleteFrom('integrations')
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
    async recordOutcome(id: string, error: string | null): Promise<void> {
      await db
        .updateTable('integrations')
        .set({ last_delivery_at: new Date(), last_error: error })
        .where('id', '=', id)
        .execute();
    },
  };
}

export type IntegrationRepository = ReturnType<typeof createIntegrationRepository>;
