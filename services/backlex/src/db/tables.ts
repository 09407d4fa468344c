import type { BackupsDatabase } from './backup-tables.js';
import type { BillingDatabase } from './billing-tables.js';
import type { EventsDatabase } from './events-tables.js';
import type { ProjectsDatabase } from './project-tables.js';
import type { DomainsDatabase } from './domain-tables.js';
import type { UsageDatabase } from './usage-tables.js';
import type { ColumnType, Generated } from 'kysely';

/**
 * backlex's tables as Kysely sees them. better-auth's (migrations/0001) keep its camelCase column
 * names; the service's own (0002…) are snake_case. Other areas add their tables here.
 */
export interface UserTable {
  id: string;
  name: string;
  email: string;
  emailVerified: boolean;
  image: string | null;
  createdAt: ColumnType<Date, Date | undefined, Date>;
  updatedAt: ColumnType<Date, Date | undefined, Date>;
}

export interface SessionTable {
  id: string;
  expiresAt: Date;
  token: string;
  createdAt: ColumnType<Date, Date | undefined, Date>;
  updatedAt: Date;
  ipAddress: string | null;
  userAgent: string | null;
  userId: string;
  activeOrganizationId: string | null;
}

export interface OrganizationTable {
  id: string;
  name: string;
  slug: string;
  logo: string | null;
  createdAt: Date;
  metadata: string | null;
  planId: string;
  residency: string;
  defaultRegion: string;
  ipAllowlist: ColumnType<string[] | null, string | null, string | null>;
  webhookUrl: string | null;
  status: 'active' | 'deleted';
  purpose: string | null;
  teamSize: string | null;
  createdBy: string | null;
  deletedAt: Date | null;
}

export interface MemberTable {
  id: string;
  organizationId: string;
  userId: string;
  role: string;
  createdAt: Date;
  updatedAt: Date | null;
}

export interface InvitationTable {
  id: string;
  organizationId: string;
  email: string;
  role: string | null;
  status: string;
  expiresAt: Date;
  createdAt: ColumnType<Date, Date | undefined, never>;
  inviterId: string;
  tokenHash: string | null;
  lastSentAt: Date | null;
  acceptedAt: Date | null;
}

export interface AccountProfileTable {
  user_id: string;
  title: string | null;
  timezone: string | null;
  preferences: ColumnType<Record<string, unknown>, string | undefined, string>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface AuditEventTable {
  id: Generated<number>;
  public_id: string;
  organization_id: string;
  actor_type: 'user' | 'key' | 'scim' | 'system';
  actor_id: string | null;
  actor_label: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  data: ColumnType<Record<string, unknown>, string | undefined, never>;
  created_at: ColumnType<Date, Date | undefined, never>;
}

/** @better-auth/api-key's table (migrations/0040): org keys, `referenceId` = organization id. */
export interface ApiKeyTable {
  id: string;
  configId: string;
  name: string | null;
  start: string | null;
  referenceId: string;
  prefix: string | null;
  key: string;
  enabled: boolean | null;
  requestCount: number | null;
  lastRequest: Date | null;
  expiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  permissions: string | null;
  metadata: string | null;
}

/** @better-auth/sso's table (migrations/0040): one provider per org, `providerId` = `sso-<org id>`. */
export interface SsoProviderTable {
  id: string;
  issuer: string;
  oidcConfig: string | null;
  samlConfig: string | null;
  userId: string;
  providerId: string;
  organizationId: string | null;
  domain: string;
  domainVerified: boolean | null;
  enabled: boolean | null;
}

/** The whole schema; the events (`events-tables.ts`, 0020…), projects (`project-tables.ts`, 0060…) and billing (`billing-tables.ts`, 0080…) tables are part of it. */
export interface BacklexDatabase
  extends EventsDatabase,
    ProjectsDatabase,
    BillingDatabase,
    DomainsDatabase,
    BackupsDatabase,
    UsageDatabase {
  user: UserTable;
  session: SessionTable;
  organization: OrganizationTable;
  member: MemberTable;
  invitation: InvitationTable;
  account_profile: AccountProfileTable;
  audit_event: AuditEventTable;
  apikey: ApiKeyTable;
  ssoProvider: SsoProviderTable;
}
