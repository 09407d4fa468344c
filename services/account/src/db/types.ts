import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_pem: string;
  private_enc: string;
  active: Generated<boolean>;
  created_at: Timestamp;
  retired_at: NullableTimestamp;
  not_after: NullableTimestamp;
}

export interface AccountsTable {
  id: string;
  account_type: 'human' | 'service';
  email: string | null;
  password_hash: string | null;
  display_name: string;
  avatar_url: Generated<string>;
  timezone: Generated<string>;
  language: Generated<string>;
  bio: Generated<string>;
  metadata: ColumnType<Record<string, unknown>, string | undefined, string>;
  email_verified_at: NullableTimestamp;
  default_organization_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  status: Generated<'active' | 'archived'>;
  owner_account_id: string;
  plan: Generated<string>;
  is_personal: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
}

export interface RolesTable {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  permissions: string[];
  is_system: Generated<boolean>;
  is_default: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MembershipsTable {
  organization_id: string;
  account_id: string;
  role_id: string;
  joined_at: Timestamp;
}

export interface InvitationsTable {
  id: string;
  organization_id: string;
  email: string;
  role_id: string | null;
  token_hash: string;
  invited_by: string | null;
  status: Generated<'pending' | 'accepted' | 'cancelled'>;
  expires_at: Timestamp;
  created_at: Timestamp;
  accepted_at: NullableTimestamp;
}

export interface SessionsTable {
  id: string;
  account_id: string;
  organization_id: string;
  refresh_jti: string;
  ip_address: Generated<string>;
  user_agent: Generated<string>;
  device_fingerprint: Generated<string>;
  created_at: Timestamp;
  last_used_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  revoked_reason: string | null;
}

export interface EmailVerificationTokensTable {
  token_hash: string;
  account_id: string;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface PasswordResetTokensTable {
  jti: string;
  account_id: string;
  token_hash: string;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface ServiceAccountsTable {
  account_id: string;
  organization_id: string;
  description: string | null;
  status: Generated<'active' | 'paused' | 'archived'>;
  capabilities: string[];
  allowed_tools: string[];
  rate_limit_per_minute: Generated<number>;
  model_config: string | null;
  last_used_at: NullableTimestamp;
}

export interface ApiKeysTable {
  id: string;
  service_account_id: string;
  name: Generated<string>;
  key_prefix: string;
  key_hash: string;
  permissions: string[];
  expires_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  revoked_reason: string | null;
  created_at: Timestamp;
}

export interface AuditLogsTable {
  id: string;
  actor_id: string | null;
  actor_email: string | null;
  actor_display_name: string | null;
  organization_id: string | null;
  organization_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  target_label: string | null;
  metadata: ColumnType<Record<string, unknown>, string | undefined, string>;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Timestamp;
}

export interface AccountDB {
  signing_keys: SigningKeysTable;
  accounts: AccountsTable;
  organizations: OrganizationsTable;
  roles: RolesTable;
  memberships: MembershipsTable;
  invitations: InvitationsTable;
  sessions: SessionsTable;
  email_verification_tokens: EmailVerificationTokensTable;
  password_reset_tokens: PasswordResetTokensTable;
  service_accounts: ServiceAccountsTable;
  api_keys: ApiKeysTable;
  audit_logs: AuditLogsTable;
}

export type AccountRow = Selectable<AccountsTable>;
export type OrganizationRow = Selectable<OrganizationsTable>;
export type RoleRow = Selectable<RolesTable>;
export type SessionRow = Selectable<SessionsTable>;
export type ServiceAccountRow = Selectable<ServiceAccountsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type AuditLogInsert = Insertable<AuditLogsTable>;
