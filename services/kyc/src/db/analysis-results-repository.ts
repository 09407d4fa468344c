import type { Insertable, Kysely, Selectable } from 'kysely';
import type { AnalysisResultTable, KycDatabase } from './tables.js';

export type AnalysisRow = Selectable<AnalysisResultTable>;

export function createAnalysisResultsRepository(db: Kysely<KycDatabase>) {
  return {
    listForSession(sessionId: string): Promise<AnalysisRow[]> {
      return db
        .selectFrom('analysis_results')
        .selectAll()
        .where('session_id', '=', sessionId)
        .orderBy('created_at')
        .execute();
    },

    async deleteForAsset(assetId: string): Promise<void> {
      await db.deleteFrom('analysis_results').where('asset_id', '=', assetId).execute();
    },

    /** The asset's analysis row, replacing an earlier one (reanalysis); run it in a transaction. */
    async replace(row: Insertable<AnalysisResultTable>): Promise<void> {
      await db.deleteFrom('analysis_results').where('asset_id', '=', row.asset_id).execute();
      await db.insertInto('analysis_results').values(row).execute();
    },
  };
}

export type AnalysisResultsRepository = ReturnType<typeof createAnalysisResultsRepository>;
