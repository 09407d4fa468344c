import { type Kysely, sql } from 'kysely';
import type { BacklexDatabase } from './tables.js';

/** Counts of what @better-auth/scim provisioned for an org (its `scimUser` / `scimGroup` tables). */
export function createScimDirectoryRepository(db: Kysely<BacklexDatabase>) {
  return {
    async countProvisioned(table: 'scimUser' | 'scimGroup', organizationId: string): Promise<number> {
      const result = await sql<{
        count: string;
      }>`select count(*) as count from ${sql.table(table)} where "provisioningDomainId" = ${organizationId}`.execute(
        db,
      );
      return Number(result.rows[0]?.count ?? 0);
    },
  };
}

export type ScimDirectoryRepository = ReturnType<typeof createScimDirectoryRepository>;
