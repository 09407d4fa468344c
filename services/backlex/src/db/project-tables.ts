import type { ColumnType } from 'kysely';

/** Projects, branches, deploys and data-API errors (migrations/0060). */
export type ProjectStatus = 'provisioning' | 'active' | 'failed' | 'paused' | 'deleted';
export type ProjectEnvironment = 'production' | 'staging' | 'development';

type CreatedAt = ColumnType<Date, Date | undefined, never>;
/** PostgreSQL `bigint` comes back as a string from node-postgres. */
type BigIntColumn = ColumnType<string, number | undefined, number>;

export interface ProjectTable {
  id: string;
  org_id: string;
  slug: string;
  name: string;
  status: ProjectStatus;
  environment: ProjectEnvironment;
  region: string;
  db_type: 'd1';
  template: string;
  template_target_version: number;
  template_version: number | null;
  provision_error: string | null;
  admin_token_hash: Buffer;
  size_bytes: BigIntColumn;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  deleted_at: Date | null;
  purged_at: Date | null;
}

export interface ProjectBranchTable {
  id: string;
  project_id: string;
  name: string;
  pr_number: number | null;
  status: 'active' | 'deleted';
  size_bytes: BigIntColumn;
  created_by: string | null;
  created_at: CreatedAt;
  deleted_at: Date | null;
}

export type DeployKind = 'provision' | 'upgrade' | 'restore';

export interface ProjectDeployTable {
  id: string;
  project_id: string;
  branch_id: string | null;
  kind: DeployKind;
  status: 'succeeded' | 'failed';
  template: string | null;
  from_version: number | null;
  to_version: number | null;
  error: string | null;
  actor_id: string | null;
  created_at: CreatedAt;
}

export interface ProjectErrorTable {
  id: string;
  project_id: string;
  fingerprint: string;
  kind: string;
  sql: string;
  message: string;
  branch: string | null;
  count: BigIntColumn;
  first_seen_at: CreatedAt;
  last_seen_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ProjectsDatabase {
  projects: ProjectTable;
  project_branches: ProjectBranchTable;
  project_deploys: ProjectDeployTable;
  project_errors: ProjectErrorTable;
}
