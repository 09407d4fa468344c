import type { Kysely, Selectable, Transaction } from 'kysely';
import { LRUCache } from 'lru-cache';
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

/** How long a session read for `GET /sessions/{id}` may be served from memory. */
export const SESSION_VIEW_TTL_MS = 1000;
const SESSION_VIEW_CACHE_SIZE = 10_000;

export function createVerificationRepository(db: Kysely<KycDatabase>) {
  // Hot-path cache for the polling endpoint. Writers in this process call `forget`; another
  // process may serve a state up to SESSION_VIEW_TTL_MS old (token hash and expiry never change).
  const views = new LRUCache<string, { session: SessionRow; assets: AssetRow[] }>({
    max: SESSION_VIEW_CACHE_SIZE,
    ttl: SESSION_VIEW_TTL_MS,
  });
  return {
    db,
    async sessionView(id: string): Promise<{ session: SessionRow; assets: AssetRow[] } | undefined> {
      const hit = views.get(id);
      if (hit) return hit;
      // The entry's age counts from before the read, not from when it was stored.
      const readAt = performance.now();
      // Assets first: the analysis job commits an asset's outcome with the session's, so a
      // client that sees an asset settled also sees the session that commit left (the other order
      // could pair a settled asset with the session read before the commit).
      const assets = await db
        .selectFrom('document_assets')
        .selectAll()
        .where('session_id', '=', id)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      const session = await db
        .selectFrom('verification_sessions')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      if (!session) return undefined;
      const entry = { session, assets };
      views.set(id, entry, { start: readAt });
      return entry;
    },
    forget(id: string): void {
      views.delete(id);
    },
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
        if (isUniqueViolation(error))
          throw errors.VALIDATION_ERROR('This side or object was already uploaded');
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
