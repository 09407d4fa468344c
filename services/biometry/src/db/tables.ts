import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface ApiKeyTable {
  id: string;
  name: string;
  key_hash: string;
  display_prefix: string;
  created_at: Generated<Date>;
  revoked_at: Timestamp | null;
  callback_secret_sealed: string | null;
}

export interface JobTable {
  id: string;
  client_id: string;
  batch_id: string | null;
  citizen_code: string;
  document_type: string;
  country_code: string;
  declared_identity: Json<Record<string, unknown>>;
  priority: 'normal' | 'high';
  callback_url: string | null;
  image_keys: Json<Record<string, string>>;
  status: Generated<'queued' | 'processing' | 'completed' | 'error'>;
  queued_at: Generated<Date>;
  started_at: Timestamp | null;
  worker_id: string | null;
  attempts: Generated<number>;
  completed_at: Timestamp | null;
  outcome: 'verified' | 'pending_review' | 'rejected' | 'error' | null;
  failure_reason: string | null;
  processing_time_ms: number | null;
  scores: Json<Record<string, unknown>> | null;
  cross_validations: Json<Record<string, unknown>> | null;
  acked_at: Timestamp | null;
}

export interface BiometryDatabase {
  api_keys: ApiKeyTable;
  jobs: JobTable;
}
