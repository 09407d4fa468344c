import type { ColumnType, Generated } from 'kysely';
import type { IssuedChallenge } from '../liveness/challenge.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** jsonb: read as the value, written as its JSON text. */
type Json<T> = ColumnType<T, string, string>;

export type DocumentType = 'passport' | 'id_card' | 'drive_eta';
export type CapturePhase = 'document_type' | 'front' | 'back' | 'single' | 'poa' | 'complete';
export type AssetSide = 'front' | 'back' | 'single' | 'poa';
export type ReviewStatus = 'pending' | 'approved' | 'rejected' | 'more_info_requested';
export type RiskLabel = 'low' | 'medium' | 'high';
export type Environment = 'test' | 'live';
export type KeyType = 'publishable' | 'secret';

export interface UserTable {
  id: Generated<string>;
  email: string;
  email_normalized: string;
  full_name: string;
  password_hash: string;
  accepted_terms_at: Timestamp;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface OperatorSessionTable {
  id: Generated<string>;
  user_id: string;
  token_hash: string;
  remember_device: boolean;
  expires_at: Timestamp;
  created_at: GeneratedTimestamp;
}

export interface OrganizationTable {
  id: Generated<string>;
  customer_id: string;
  legal_company_name: string | null;
  legal_email: string;
  registration_number: string | null;
  company_website: string | null;
  company_address: string | null;
  display_name: string;
  alias_name: string | null;
  logo_url: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface MembershipTable {
  organization_id: string;
  user_id: string;
  role: 'owner' | 'admin' | 'member';
  created_at: GeneratedTimestamp;
}

export interface ApiKeyTable {
  id: Generated<string>;
  organization_id: string;
  pair_id: string;
  key_type: KeyType;
  environment: Environment;
  key_prefix: string;
  key_hash: string;
  label: string | null;
  created_by: string | null;
  created_at: GeneratedTimestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface VerificationSessionTable {
  id: Generated<string>;
  organization_id: string;
  api_key_id: string | null;
  environment: Environment;
  token_hash: string;
  external_user_id: string | null;
  return_url: string | null;
  webhook_url: string | null;
  webhook_secret_sealed: string | null;
  metadata: Json<Record<string, unknown>>;
  document_type: DocumentType | null;
  capture_phase: Generated<CapturePhase>;
  review_status: Generated<ReviewStatus>;
  risk_label: RiskLabel | null;
  automated_block_reason: string | null;
  face_similarity_score: number | null;
  portrait_descriptor: number[] | null;
  reviewed_by: string | null;
  reviewed_at: Timestamp | null;
  expires_at: Timestamp;
  /** When the sweep job deleted the session's objects (documents, heatmaps, recordings). */
  objects_purged_at: Timestamp | null;
  /** When the end user accepted the hosted flow's privacy notice (null: never, or not through it). */
  consented_at: Timestamp | null;
  /** When the end user finished the hosted flow: reopening the link then shows "submitted". */
  submitted_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface DocumentAssetTable {
  id: Generated<string>;
  session_id: string;
  side: AssetSide;
  s3_key: string;
  content_type: string;
  byte_size: number;
  sha256: string;
  analysis_status: Generated<'pending' | 'processing' | 'completed' | 'failed' | 'skipped'>;
  /** 1 for the first upload of a side, then 2, 3 for retakes of an unreadable one. */
  attempt: Generated<number>;
  /** The server analysis's reasons the image cannot be read (null: readable, or not judged yet). */
  unreadable_reasons: string[] | null;
  created_at: GeneratedTimestamp;
}

export interface AnalysisResultTable {
  id: Generated<string>;
  asset_id: string;
  session_id: string;
  extracted: Json<Record<string, unknown>>;
  model_id: string | null;
  model_versions: Json<Record<string, unknown>>;
  raw_scores: Json<Record<string, unknown>>;
  ela_heatmap_key: string | null;
  moire_heatmap_key: string | null;
  created_at: GeneratedTimestamp;
}

/**
 * `pending` (init) → `validating` (complete claimed it) → `analyzing` (a recording is being
 * analysed by the job) → `passed` / `failed`; `review` when there is no server verdict to give
 * (no recording, or the analysis could not run): a person decides.
 */
export type LivenessStatus = 'pending' | 'validating' | 'analyzing' | 'passed' | 'failed' | 'review';

export interface LivenessAttemptTable {
  id: Generated<string>;
  session_id: string;
  client_request_id: string;
  status: Generated<LivenessStatus>;
  confidence_score: number | null;
  failure_reason: string | null;
  risk_label: RiskLabel | null;
  video_s3_key: string | null;
  /** sha-256 of the linked recording, recorded at complete; the analysis reads only those bytes. */
  video_sha256: string | null;
  /** The challenge `init` handed out for this request (steps with windows from the recording's start). */
  challenge: Json<IssuedChallenge> | null;
  signals_json: Json<Record<string, unknown>> | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface AuditEventTable {
  id: Generated<string>;
  seq: Generated<number>;
  session_id: string | null;
  organization_id: string | null;
  event_type: string;
  actor_type: 'system' | 'end_user' | 'operator' | 'api_key';
  actor_user_id: string | null;
  payload: Json<Record<string, unknown>> | null;
  rationale: string | null;
  model_versions: Json<Record<string, unknown>> | null;
  raw_scores: Json<Record<string, unknown>> | null;
  created_at: GeneratedTimestamp;
  /** Set by the chaining trigger. */
  prev_hash: Generated<string>;
  hash: Generated<string>;
}

export interface KycDatabase {
  users: UserTable;
  operator_sessions: OperatorSessionTable;
  organizations: OrganizationTable;
  memberships: MembershipTable;
  api_keys: ApiKeyTable;
  verification_sessions: VerificationSessionTable;
  document_assets: DocumentAssetTable;
  analysis_results: AnalysisResultTable;
  liveness_attempts: LivenessAttemptTable;
  audit_events: AuditEventTable;
}
