import type { BranchRow } from '../db/project-branch-repository.js';
import type { DeployRow } from '../db/project-deploy-repository.js';
import type { ProjectErrorRow } from '../db/project-error-repository.js';
import type { ProjectRow } from '../db/project-repository.js';

/** The `Project` object (open in the seed; fields fixed in the README). */
export interface ProjectView {
  id: string;
  slug: string;
  name: string;
  status: string;
  environment: string;
  region: string;
  primaryRegion: string;
  dbType: string;
  template: string;
  templateVersion: string | null;
  dataUrl: string;
  provisionError: string | null;
  sizeBytes: number;
  createdAt: string;
  /** Only in the answer that minted it (create, reprovision-admin). */
  adminToken?: string;
}

/** `{publicUrl}/api/db/{projectId}`: POST `…/query` with the admin token. */
export function dataUrlOf(publicUrl: string, projectId: string): string {
  return `${publicUrl}/api/db/${projectId}`;
}

export function projectView(row: ProjectRow, publicUrl: string, adminToken?: string): ProjectView {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    status: row.status,
    environment: row.environment,
    region: row.region,
    primaryRegion: row.region,
    dbType: row.db_type,
    template: row.template,
    templateVersion: row.template_version === null ? null : String(row.template_version),
    dataUrl: dataUrlOf(publicUrl, row.id),
    provisionError: row.provision_error,
    sizeBytes: Number(row.size_bytes),
    createdAt: row.created_at.toISOString(),
    ...(adminToken ? { adminToken } : {}),
  };
}

/** The `Branch` object (fields fixed in the README). */
export function branchView(row: BranchRow, project: ProjectRow, publicUrl: string) {
  return {
    id: row.id,
    name: row.name,
    prNumber: row.pr_number,
    status: row.status,
    projectId: row.project_id,
    dataUrl: `${dataUrlOf(publicUrl, project.id)}/branches/${row.name}`,
    sizeBytes: Number(row.size_bytes),
    createdAt: row.created_at.toISOString(),
  };
}

/** The `Deploy` object (fields fixed in the README). */
export function deployView(row: DeployRow) {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    branchId: row.branch_id,
    template: row.template,
    fromVersion: row.from_version === null ? null : String(row.from_version),
    toVersion: row.to_version === null ? null : String(row.to_version),
    error: row.error,
    createdAt: row.created_at.toISOString(),
  };
}

/** The `TenantError` object (fields fixed in the README). */
export function tenantErrorView(row: ProjectErrorRow) {
  return {
    id: row.id,
    fingerprint: row.fingerprint,
    kind: row.kind,
    sql: row.sql,
    message: row.message,
    branch: row.branch,
    count: Number(row.count),
    firstSeenAt: row.first_seen_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
  };
}
