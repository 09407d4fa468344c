import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;
/** numeric columns arrive as strings (exact decimals). */
type Numeric = ColumnType<string, number | string, number | string>;

export type CapMode = 'hard' | 'soft' | 'alert';
export type BillingMode = 'per_claim' | 'per_year';
export type BillingStatus = 'current' | 'due' | 'grace' | 'suspended';
export type UserRole = 'surveyor' | 'adjuster' | 'siu' | 'tenant_admin';
export type ClaimStatus = 'pending' | 'under_review' | 'approved' | 'rejected' | 'siu_flagged';
export type ClaimType = 'motor' | 'property' | 'crop' | 'health' | 'other';
export type RiskBand = 'low' | 'review' | 'high' | 'very_high';
export type PhotoStatus = 'pending' | 'verified' | 'tampered' | 'unverified' | 'ai_generated' | 'third_party';
export type AttestationType = 'StrongBox' | 'TEE' | 'SecureEnclave' | 'software' | 'none';
export type UsageEventName = 'api_verify' | 'claim_set_billed' | 'claim_triage' | 'photo_downloaded';

export interface TenantTable {
  id: string;
  code: string;
  name: string;
  tier: string;
  billing_mode: Generated<BillingMode>;
  price_per_claim_paise: Generated<number>;
  cap_mode: Generated<CapMode>;
  cap_limit: number | null;
  billing_status: Generated<BillingStatus>;
  billing_grace_days: Generated<number>;
  annual_start: Timestamp | null;
  annual_end: Timestamp | null;
  claims_clock: Generated<Date>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ApiKeyTable {
  id: string;
  tenant_id: string;
  name: string | null;
  key_hash: string;
  display_prefix: string;
  scopes: string[];
  daily_limit: Generated<number>;
  created_at: Generated<Date>;
  revoked_at: Timestamp | null;
}

export interface ApiRequestTable {
  id: Generated<number>;
  key_id: string;
  tenant_id: string;
  operation: string;
  created_at: Generated<Date>;
  /** Still counted in its key's sliding window (migration 0006). */
  in_window: Generated<boolean>;
}

/** Per key: how many of its logged requests are still in the sliding window (migration 0006). */
export interface ApiKeyWindowTable {
  key_id: string;
  live: Generated<number>;
}

export interface UserTable {
  id: string;
  tenant_id: string;
  email: string;
  name: string;
  role: UserRole;
  district: string | null;
  surveyor_license: string | null;
  active: Generated<boolean>;
  password_hash: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface WelcomeMailTable {
  user_id: string;
  /** The one-time password, sealed; null once the mail is sent. */
  sealed_password: string | null;
  attempts: Generated<number>;
  last_error: string | null;
  sent_at: Date | null;
  created_at: Generated<Date>;
}

export interface ClaimTable {
  id: string;
  tenant_id: string;
  claim_number: string;
  policy_number: string;
  claim_type: ClaimType;
  status: Generated<ClaimStatus>;
  district: string;
  description: string | null;
  surveyor_id: string;
  adjuster_id: string | null;
  estimated_amount: Numeric | null;
  settled_amount: Numeric | null;
  siu_flagged: Generated<boolean>;
  siu_reason: string | null;
  risk_score: number | null;
  risk_band: RiskBand | null;
  note_count: Generated<number>;
  submitted_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface PhotoTable {
  id: string;
  tenant_id: string;
  claim_id: string;
  filename: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  storage_key: string;
  phash: string | null;
  verify_status: Generated<PhotoStatus>;
  captured_at: Timestamp | null;
  uploaded_at: Generated<Date>;
  gps_lat: number | null;
  gps_lon: number | null;
  gps_accuracy: number | null;
  device_model: string | null;
  attestation_type: AttestationType | null;
  ntp_synced: boolean | null;
  alerts: Generated<string[]>;
  verified_at: Timestamp | null;
}

export interface UsageEventTable {
  id: string;
  tenant_id: string;
  event: UsageEventName;
  claim_id: string | null;
  claim_number: string | null;
  unit_price_paise: number;
  quantity: Generated<number>;
  created_at: Generated<Date>;
  billing_run_id: string | null;
  billed_at: Timestamp | null;
}

export interface BillingRunTable {
  id: string;
  tenant_id: string;
  through: Timestamp;
  events: number;
  amount_paise: number;
  closed_at: Generated<Date>;
}

export interface CapNoticeTable {
  tenant_id: string;
  cycle: string;
  created_at: Generated<Date>;
}

export interface TriageResultTable {
  id: string;
  tenant_id: string;
  claim_id: string | null;
  sha256: string;
  phash: string | null;
  risk_score: number;
  risk_band: RiskBand;
  routed_to: 'pass' | 'review' | 'siu';
  signals: Json<TriageSignal[]>;
  created_at: Generated<Date>;
}

export interface TriageSignal {
  name: string;
  score: number;
  detail: string;
}

export interface AttestationRootTable {
  id: number;
  public_key_pem: string;
  private_key_sealed: string;
  created_at: Generated<Date>;
}

export interface AttestationKeyTable {
  kid: string;
  public_key_pem: string;
  private_key_sealed: string;
  manifest: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
}

export interface VerifactDatabase {
  tenants: TenantTable;
  api_keys: ApiKeyTable;
  api_requests: ApiRequestTable;
  api_key_windows: ApiKeyWindowTable;
  users: UserTable;
  welcome_mails: WelcomeMailTable;
  claims: ClaimTable;
  photos: PhotoTable;
  usage_events: UsageEventTable;
  billing_runs: BillingRunTable;
  cap_notices: CapNoticeTable;
  triage_results: TriageResultTable;
  attestation_root: AttestationRootTable;
  attestation_keys: AttestationKeyTable;
}
