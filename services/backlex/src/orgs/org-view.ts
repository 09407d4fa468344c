import type { OrgRow } from '../db/org-repository.js';

/** The seed's `Org`. `purpose` and `teamSize` are onboarding data, never returned. */
export interface OrgView {
  id: string;
  slug: string;
  name: string;
  planId: string;
  residency: string;
  defaultRegion: string;
  ipAllowlist: string[];
  webhookUrl: string | null;
  status: string;
}

export function orgView(row: OrgRow): OrgView {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    planId: row.planId,
    residency: row.residency,
    defaultRegion: row.defaultRegion,
    ipAllowlist: row.ipAllowlist ?? [],
    webhookUrl: row.webhookUrl,
    status: row.status,
  };
}
