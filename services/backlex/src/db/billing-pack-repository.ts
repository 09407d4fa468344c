import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { BillingPackTable } from './billing-tables.js';
import type { BacklexDatabase } from './tables.js';

export type PackRow = Selectable<BillingPackTable>;

/** `billing_pack`: purchased packs, each adding units for its period. */
export function createPackRepository(db: Kysely<BacklexDatabase>) {
  return {
    async insert(trx: Transaction<BacklexDatabase>, row: Insertable<BillingPackTable>): Promise<void> {
      await trx.insertInto('billing_pack').values(row).execute();
    },
    /** Newest first. */
    listOfOrg(orgId: string, limit: number): Promise<PackRow[]> {
      return db
        .selectFrom('billing_pack')
        .selectAll()
        .where('org_id', '=', orgId)
        .orderBy('created_at', 'desc')
        .limit(limit)
        .execute();
    },
    /** Packs whose period contains `at`. */
    activeAt(orgId: string, at: Date): Promise<PackRow[]> {
      return db
        .selectFrom('billing_pack')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('period_start', '<=', at)
        .where('period_end', '>', at)
        .execute();
    },
  };
}

export type PackRepository = ReturnType<typeof createPackRepository>;
