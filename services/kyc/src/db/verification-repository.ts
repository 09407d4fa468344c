import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
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
export type KycTransaction = Transaction<KycDatabase>;

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
    /** Runs `work` in one transaction; pass `trx` to this repository's writers, the audit log and webhooks. */
    transaction<T>(work: (trx: KycTransaction) => Promise<T>): Promise<T> {
      return db.transaction().execute(work);
    },
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

    insertSession(trx: KycTransaction, row: Insertable<VerificationSessionTable>): Promise<SessionRow> {
      return trx.insertInto('verification_sessions').values(row).returningAll().executeTakeFirstOrThrow();
    },
    /** Updates the session (locked by the caller) and returns it. */
    updateSession(
      trx: KycTransaction,
      id: string,
      changes: Updateable<VerificationSessionTable>,
    ): Promise<SessionRow> {
      return trx
        .updateTable('verification_sessions')
        .set({ ...changes, updated_at: new Date() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /** The session when `userId` belongs to its organization (operator dashboards). */
    findVisibleSession(userId: string, sessionId: string): Promise<SessionRow | undefined> {
      return db
        .selectFrom('verification_sessions as s')
        .innerJoin('memberships as m', 'm.organization_id', 's.organization_id')
        .selectAll('s')
        .where('s.id', '=', sessionId)
        .where('m.user_id', '=', userId)
        .executeTakeFirst();
    },
    /** The newest sessions of the organizations `userId` belongs to. */
    listVisibleSessions(userId: string, limit: number): Promise<SessionRow[]> {
      return db
        .selectFrom('verification_sessions as s')
        .innerJoin('memberships as m', 'm.organization_id', 's.organization_id')
        .selectAll('s')
        .where('m.user_id', '=', userId)
        .orderBy('s.created_at', 'desc')
        .orderBy('s.id')
        .limit(limit)
        .execute();
    },
    /** Of `ids`, those `userId` may see, with their organizations. */
    visibleSessionOrganizations(userId: string, ids: string[]) {
      return db
        .selectFrom('verification_sessions as s')
        .innerJoin('memberships as m', 'm.organization_id', 's.organization_id')
        .select(['s.id', 's.organization_id'])
        .where('m.user_id', '=', userId)
        .where('s.id', 'in', ids)
        .execute();
    },
    /** Whether the asset exists (and so changed). */
    async setAssetAnalysisStatus(
      assetId: string,
      status: AssetRow['analysis_status'],
      executor: Executor = db,
    ): Promise<boolean> {
      const result = await executor
        .updateTable('document_assets')
        .set({ analysis_status: status })
        .where('id', '=', assetId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    /** Marks an unsettled asset (`pending`, or `processing` by a worker that died) `processing`; undefined once settled. */
    claimAssetForAnalysis(assetId: string): Promise<AssetRow | undefined> {
      return db
        .updateTable('document_assets')
        .set({ analysis_status: 'processing' })
        .where('id', '=', assetId)
        .where('analysis_status', 'in', ['pending', 'processing'])
        .returningAll()
        .executeTakeFirst();
    },
    /** The asset while its analysis has not settled. */
    findUnsettledAsset(assetId: string): Promise<AssetRow | undefined> {
      return db
        .selectFrom('document_assets')
        .selectAll()
        .where('id', '=', assetId)
        .where('analysis_status', 'in', ['pending', 'processing'])
        .executeTakeFirst();
    },
    async deleteAnalyses(trx: KycTransaction, assetId: string): Promise<void> {
      await trx.deleteFrom('analysis_results').where('asset_id', '=', assetId).execute();
    },
    /** The asset's analysis row, replacing an earlier one (reanalysis). */
    async replaceAnalysis(trx: KycTransaction, row: Insertable<AnalysisResultTable>): Promise<void> {
      await trx.deleteFrom('analysis_results').where('asset_id', '=', row.asset_id).execute();
      await trx.insertInto('analysis_results').values(row).execute();
    },
    /** The latest liveness attempt of each session. */
    latestLiveness(sessionIds: string[]): Promise<LivenessRow[]> {
      if (sessionIds.length === 0) return Promise.resolve([]);
      return db
        .selectFrom('liveness_attempts')
        .selectAll()
        .distinctOn('session_id')
        .where('session_id', 'in', sessionIds)
        .orderBy('session_id')
        .orderBy('created_at', 'desc')
        .execute();
    },
    findLiveness(id: string): Promise<LivenessRow | undefined> {
      return db.selectFrom('liveness_attempts').selectAll().where('id', '=', id).executeTakeFirst();
    },
    findLivenessByRequest(sessionId: string, requestId: string): Promise<LivenessRow | undefined> {
      return db
        .selectFrom('liveness_attempts')
        .selectAll()
        .where('session_id', '=', sessionId)
        .where('client_request_id', '=', requestId)
        .executeTakeFirst();
    },
    async countLiveness(trx: KycTransaction, sessionId: string): Promise<number> {
      const { attempts } = await trx
        .selectFrom('liveness_attempts')
        .select((eb) => eb.fn.countAll<string>().as('attempts'))
        .where('session_id', '=', sessionId)
        .executeTakeFirstOrThrow();
      return Number(attempts);
    },
    async insertLiveness(trx: KycTransaction, row: Insertable<LivenessAttemptTable>): Promise<void> {
      await trx.insertInto('liveness_attempts').values(row).execute();
    },
    /** Moves a pending attempt to `validating`; its id, or undefined when another caller got there first. */
    async claimLiveness(sessionId: string, requestId: string): Promise<string | undefined> {
      const claimed = await db
        .updateTable('liveness_attempts')
        .set({ status: 'validating', updated_at: new Date() })
        .where('session_id', '=', sessionId)
        .where('client_request_id', '=', requestId)
        .where('status', '=', 'pending')
        .returning('id')
        .executeTakeFirst();
      return claimed?.id;
    },
    /**
     * Updates an attempt, only while its status is `whileStatus` when given; whether a row changed
     * (false: another run decided it already).
     */
    async updateLiveness(
      id: string,
      changes: Updateable<LivenessAttemptTable>,
      options: { whileStatus?: LivenessRow['status']; executor?: Executor } = {},
    ): Promise<boolean> {
      let query = (options.executor ?? db)
        .updateTable('liveness_attempts')
        .set({ ...changes, updated_at: new Date() })
        .where('id', '=', id);
      if (options.whileStatus) query = query.where('status', '=', options.whileStatus);
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

export type VerificationRepository = ReturnType<typeof createVerificationRepository>;
