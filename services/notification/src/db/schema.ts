import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export type NotificationStatus = 'queued' | 'processing' | 'retrying' | 'delivered' | 'failed' | 'cancelled';
export type Priority = 'low' | 'normal' | 'high' | 'urgent';
export type RecipientStatus = 'pending' | 'accepted' | 'failed';

export interface StoredContent {
  subject: string;
  body: string;
  is_html: boolean;
  html_body: string;
}

export interface NotificationsTable {
  id: string;
  batch_id: string | null;
  source: string;
  source_message_id: string | null;
  provider_type: string;
  provider_name: string;
  priority: Priority;
  status: NotificationStatus;
  content: Json<StoredContent>;
  sealed_content: string | null;
  sensitive: Generated<boolean>;
  metadata: Json<Record<string, string>>;
  max_retries: number;
  attempts: Generated<number>;
  budget_start: Generated<number>;
  job_id: string | null;
  scheduled_at: NullableTimestamp;
  next_attempt_at: NullableTimestamp;
  last_error: string | null;
  cancel_requested_at: NullableTimestamp;
  claimed_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  delivered_at: NullableTimestamp;
  failed_at: NullableTimestamp;
  cancelled_at: NullableTimestamp;
}

export interface RecipientsTable {
  notification_id: string;
  position: number;
  type: string;
  address: string;
  name: string;
  status: Generated<RecipientStatus>;
  accepted_at: NullableTimestamp;
  provider_message_id: string | null;
  last_error: string | null;
}

export interface IdempotencyKeysTable {
  key: string;
  method: string;
  request_hash: string;
  response: Json<unknown>;
  created_at: Timestamp;
}

export interface ProcessedMessagesTable {
  message_id: string;
  queue: string;
  notification_id: string | null;
  outcome: string;
  received_at: Timestamp;
}

export interface DeadLettersTable {
  id: string;
  notification_id: string | null;
  message_id: string | null;
  source_queue: string;
  reason: string;
  attempts: number;
  payload: Json<unknown>;
  created_at: Timestamp;
  replayed_at: NullableTimestamp;
}

export interface MessageLedgerTable {
  queue: string;
  message_id: string;
  payload: Json<unknown>;
  headers: Json<Record<string, string>>;
  status: string;
  published_at: Timestamp;
  delivered_at: NullableTimestamp;
  completed_at: NullableTimestamp;
  delivery_count: Generated<number>;
}

export interface ConsumersTable {
  consumer_tag: string;
  queue: string;
  host: string;
  prefetch: number;
  ack_count: Generated<number>;
  unack_count: Generated<number>;
  connected_at: Timestamp;
  last_seen_at: Timestamp;
}

export interface QueueDeclarationsTable {
  name: string;
  backend: string;
  durable: boolean;
  auto_delete: boolean;
  arguments: Json<Record<string, string>>;
  created_at: Timestamp;
}

export interface NotificationDatabase {
  queue_declarations: QueueDeclarationsTable;
  notifications: NotificationsTable;
  notification_recipients: RecipientsTable;
  idempotency_keys: IdempotencyKeysTable;
  processed_messages: ProcessedMessagesTable;
  dead_letters: DeadLettersTable;
  message_ledger: MessageLedgerTable;
  consumers: ConsumersTable;
}
