import { type RawBuilder, sql } from 'kysely';
import type { Principal } from '../auth/principal.js';

/** Rows the principal owns: same account and same organization context (tenants never mix). */
export function ownedBy(table: 'media' | 'folders', principal: Principal): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(`${table}.owner_id`)} = ${principal.accountId} AND ${sql.ref(
    `${table}.org_id`,
  )} IS NOT DISTINCT FROM ${principal.orgId})`;
}

/**
 * Media the caller may read: `public` for anyone, `organization` for a token of the same org,
 * `private` (and everything else) for the owner.
 */
export function readableBy(principal: Principal | undefined): RawBuilder<boolean> {
  if (!principal) return sql<boolean>`(media.visibility = 'public')`;
  const sameOrg =
    principal.orgId === null
      ? sql``
      : sql`OR (media.visibility = 'organization' AND media.org_id = ${principal.orgId})`;
  return sql<boolean>`(media.visibility = 'public' OR ${ownedBy('media', principal)} ${sameOrg})`;
}
