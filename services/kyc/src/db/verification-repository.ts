import type { Kysely, Selectable, Transaction } from 'kysely';
import { errors } from '../errors.js';
import { isUniqueViolation } from './pg-errors.js';
import type {
  AnalysisResultTable,
  DocumentAssetTable,
  KycDatabase,
  LivenessAttemptTable,
  VerificationSessionTable,
} from './tables.js';

export type SessionRow = Selectable<VerificationSessionTable>;
export type AssetRow = Selectable<DocumentAssetTable>;
export type AnalysisRow = Selectable<AnalysisResultTable>;
export type LivenessRow = Selectable<LivenessAttemptTable>;
type Executor = Kysely<KycDatabase> | Transaction<KycDatabase>;

export function createVerificationRepository(db: Kysely<KycDatabase>) {
  return {
    db,
    findSession(id: string, executor: Executor = db): Promise<SessionRow | undefined> {
      return executor.selectFrom('verification_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /** Row-locks the session for a state transition. */
    lockSession(trx: Transaction<KycDatabase>, id: string): Promise<SessionRow | undefined> {
      return trx
        .selectFrom('verification_sessions')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
    },
    listAssets(sessionId: string, executor: Executor = db): Promise<AssetRow[]> {
      return executor
        .selectFrom('document_assets')
        .selectAll()
        .where('session_id', '=', sessionId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    findAsset(sessionId: string, assetId: string): Promise<AssetRow | undefined> {
      return db
        .selectFrom('document_assets')
        .selectAll()
        .where('session_id', '=', sessionId)
        .where('id', '=', assetId)
        .executeTakeFirst();
    },
    async insertAsset(
      trx: Transaction<KycDatabase>,
      asset: Omit<AssetRow, 'id' | 'created_at' | 'analysis_status'>,
    ): Promise<AssetRow> {
      try {
        return await trx.insertInto('document_assets').values(asset).returningAll().executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error)) throw errors.validation('This side or object was already uploaded');
        throw error;
      }
    },
    listAnalyses(sessionId: string): Promise<AnalysisRow[]> {
      return db
        .selectFrom('analysis_results')
        .selectAll()
        .where('session_id', '=', sessionId)
        .orderBy('created_at')
        .execute();
    },
    listLiveness(sessionId: string): Promise<LivenessRow[]> {
      return db
        .selectFrom('liveness_attempts')
        .selectAll()
        .where('session_id', '=', sessionId)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
    },
  };
}

export type VerificationRepository = ReturnType<typeof createVerificationRepository>;
