import type { ColumnType } from 'kysely';

/** Custom domains and org exports (migrations/0065, h17-domains). */
type CreatedAt = ColumnType<Date, Date | undefined, never>;
/** PostgreSQL `bigint` comes back as a string from node-postgres. */
type BigIntColumn = ColumnType<string, number, number>;

export type DomainStatus = 'pending' | 'verified';

export interface ProjectDomainTable {
  id: string;
  org_id: string;
  project_id: string;
  hostname: string;
  status: DomainStatus;
  challenge_token: string;
  last_error: string | null;
  last_checked_at: Date | null;
  verified_at: Date | null;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface ProjectExportTable {
  id: string;
  org_id: string;
  export_id: string;
  project_id: string;
  project_slug: string;
  filename: string;
  object_key: string;
  size_bytes: BigIntColumn;
  sha256: string;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface DomainsDatabase {
  project_domains: ProjectDomainTable;
  project_exports: ProjectExportTable;
}
