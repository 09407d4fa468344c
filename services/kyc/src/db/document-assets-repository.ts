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

    /** A second upload of the same side (and attempt) or object is a validation error. */
    async insert(
      asset: Omit<AssetRow, 'id' | 'created_at' | 'analysis_status' | 'attempt' | 'unreadable_reasons'> & {
        attempt?: number;
      },
    ): Promise<AssetRow> {
      try {
        return await db.insertInto('document_assets').values(asset).returningAll().executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error))
          throw errors.VALIDATION_ERROR('This side or object was already uploaded');
        throw error;
      }
    },

    /**
     * Whether the asset exists (and so changed). `unreadableReasons` is the analysis's readability
     * verdict (empty: readable); left as it is when not given.
     */
    async setAnalysisStatus(
      assetId: string,
      status: AssetRow['analysis_status'],
      unreadableReasons?: string[],
    ): Promise<boolean> {
      const result = await db
        .updateTable('document_assets')
        .set({
          analysis_status: status,
          ...(unreadableReasons
            ? { unreadable_reasons: unreadableReasons.length ? unreadableReasons : null }
            : {}),
        })
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
