import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { TriageResultTable, VerifactDatabase } from './tables.js';

export type TriageRow = Selectable<TriageResultTable>;

export function createTriageRepository(db: Kysely<VerifactDatabase>) {
  return {
    async insert(trx: Transaction<VerifactDatabase>, row: Insertable<TriageResultTable>): Promise<TriageRow> {
      return trx.insertInto('triage_results').values(row).returningAll().executeTakeFirstOrThrow();
    },
    byId(tenantId: string, id: string): Promise<TriageRow | undefined> {
      return db
        .selectFrom('triage_results')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
    },
    ofClaim(tenantId: string, claimId: string): Promise<TriageRow[]> {
      return db
        .selectFrom('triage_results')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('claim_id', '=', claimId)
        .orderBy('created_at')
        .execute();
    },
    /** Earlier triaged photos of other claims of the tenant (duplicate search). */
    hashedOutside(tenantId: string, claimId: string | null) {
      let query = db
        .selectFrom('triage_results')
        .select(['id', 'claim_id', 'phash'])
        .where('tenant_id', '=', tenantId)
        .where('phash', 'is not', null)
        .where('claim_id', 'is not', null);
      if (claimId) query = query.where('claim_id', '!=', claimId);
      return query.execute();
    },
  };
}

export type TriageRepository = ReturnType<typeof createTriageRepository>;
