import { z } from 'zod';
import { REGIONS } from '../orgs/regions.js';
import { slugParams } from './schemas.js';

/** `{slug}/projects/{projectSlug}`, bounded like every path parameter. */
export const projectParams = slugParams.extend({ projectSlug: z.string().min(1).max(100) });
export const projectItemParams = projectParams.extend({ id: z.string().min(1).max(100) });

/** The `Project` object (open in the seed; fields fixed in the README). */
export const projectSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  status: z.string().describe('provisioning | active | failed | paused'),
  environment: z.string().describe('production | staging | development'),
  region: z.string().describe(REGIONS.join(' | ')),
  primaryRegion: z.string().describe("The project's region (one region per project)."),
  dbType: z.string().describe('d1: a SQLite file'),
  template: z.string(),
  templateVersion: z.string().nullable(),
  dataUrl: z.string(),
  provisionError: z.string().nullable(),
  sizeBytes: z.number().int(),
  createdAt: z.string(),
  adminToken: z.string().optional().describe('The data-API admin token: only in the answer that minted it.'),
});

export const projectAnswer = z.object({ project: projectSchema });

/** The `Branch` object (fields fixed in the README). */
export const branchSchema = z.object({
  id: z.string(),
  name: z.string(),
  prNumber: z.number().int().nullable(),
  status: z.enum(['active', 'deleted']),
  projectId: z.string(),
  dataUrl: z.string(),
  sizeBytes: z.number().int(),
  createdAt: z.string(),
});

/** The `Deploy` object (fields fixed in the README). */
export const deploySchema = z.object({
  id: z.string(),
  kind: z.enum(['provision', 'upgrade', 'restore']),
  status: z.enum(['succeeded', 'failed']),
  branchId: z.string().nullable(),
  template: z.string().nullable(),
  fromVersion: z.string().nullable(),
  toVersion: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
});

/** The `TenantError` object (fields fixed in the README). */
export const tenantErrorSchema = z.object({
  id: z.string(),
  fingerprint: z.string(),
  kind: z.string(),
  sql: z.string(),
  message: z.string(),
  branch: z.string().nullable(),
  count: z.number().int(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
});
