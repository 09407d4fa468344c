import type { Kysely, Selectable } from 'kysely';
import { errors } from '../errors.js';
import { isUniqueViolation } from '@trustplane/kernel';
import type { DocumentAssetTable, KycDatabase } from './tables.js';

export type AssetRow = Selectable<DocumentAssetTable>;

export function createDocumentAssetsRepository(db: Kysely<KycDatabase>) {
  return {
    listForSession(sessionId: string): Promise<AssetRow[]> {
      return db
        .selectFrom('document_assets')
        .selectAll()
        .where('session_id', '=', sessionId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },

    find(sessionId: string, assetId: string): Promise<AssetRow | undefined> {
      return db
        .selectFrom('document_assets')
        .selectAll()
        .where('session_id', '=', sessionId)
        .where('id', '=', assetId)
        .executeTakeFirst();
    },

    /** The asset while its analysis has not settled. */
    findUnsettled(assetId: string): Promise<AssetRow | undefined> {
      return db
        .selectFrom('document_assets')
        .selectAll()
        .where('id', '=', assetId)
        .where('analysis_status', 'in', ['pending', 'processing'])
        .executeTakeFirst();
    },

    /** A second upload of the same side or object is a validation error (422). */
    async insert(asset: Omit<AssetRow, 'id' | 'created_at' | 'analysis_status'>): Promise<AssetRow> {
      try {
        return await db.insertInto('document_assets').values(asset).returningAll().executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error))
          throw errors.VALIDATION_ERROR('This side or object was already uploaded');
        throw error;
      }
    },

    /** Whether the asset exists (and so changed). */
    async setAnalysisStatus(assetId: string, status: AssetRow['analysis_status']): Promise<boolean> {
      const result = await db
        .updateTable('document_assets')
        .set({ analysis_status: status })
        .where('id', '=', assetId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    /** Marks an unsettled asset (`pending`, or `processing` by a worker that died) `processing`; undefined once settled. */
    claimForAnalysis(assetId: string): Promise<AssetRow | undefined> {
      return db
        .updateTable('document_assets')
        .set({ analysis_status: 'processing' })
        .where('id', '=', assetId)
        .where('analysis_status', 'in', ['pending', 'processing'])
        .returningAll()
        .executeTakeFirst();
    },
  };
}

export type DocumentAssetsRepository = ReturnType<typeof createDocumentAssetsRepository>;
