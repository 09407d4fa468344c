import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** `events`: the outbox of the event catalogue (migrations/0020_events.sql). */
export interface EventTable {
  id: string;
  org_id: string;
  type: string;
  data: Json<Record<string, unknown>>;
  created_at: Timestamp;
  fanned_out_at: Timestamp | null;
}

export interface WebhookTable {
  id: string;
  org_id: string;
  url: string;
  events: string[];
  managed: ColumnType<boolean, boolean | undefined, boolean>;
  secret_sealed: string;
  created_at: Timestamp;
}

export type IntegrationKind = 'slack' | 'discord' | 'datadog' | 'github';

export interface IntegrationTable {
  id: string;
  org_id: string;
  kind: IntegrationKind;
  config: Json<Record<string, string>>;
  secrets_sealed: string;
  secret_hints: Json<Record<string, string>>;
  events: string[] | null;
  last_delivery_at: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
}

export interface NotificationTable {
  id: string;
  org_id: string;
  user_id: string;
  event_id: string;
  type: string;
  title: string;
  body: string;
  data: Json<Record<string, unknown>>;
  read_at: Timestamp | null;
  created_at: Timestamp;
}

/** The events half of the backlex schema; the service's database type includes it. */
export interface EventsDatabase {
  events: EventTable;
  webhooks: WebhookTable;
  integrations: IntegrationTable;
  notifications: NotificationTable;
}
