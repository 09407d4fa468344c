import { type Insertable, type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import type { KycDatabase, ReviewStatus, RiskLabel, VerificationSessionTable } from './tables.js';

export type SessionRow = Selectable<VerificationSessionTable>;

/** The operator console's list filters (all optional; `riskLabel: 'none'` = not yet labelled). */
export interface SessionListFilter {
  organizationId?: string;
  reviewStatus?: ReviewStatus;
  riskLabel?: RiskLabel | 'none';
  externalUserId?: string;
  offset?: number;
}

export function createVerificationSessionsRepository(db: Kysely<KycDatabase>) {
  return {
    find(id: string): Promise<SessionRow | undefined> {
      return db.selectFrom('verification_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** Row-locks the session for a state transition. */
    lock(id: string): Promise<SessionRow | undefined> {
      return db
        .selectFrom('verification_sessions')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
    },

    insert(row: Insertable<VerificationSessionTable>): Promise<SessionRow> {
      return db.insertInto('verification_sessions').values(row).returningAll().executeTakeFirstOrThrow();
    },

    /** Updates the session (locked by the caller) and returns it. */
    update(id: string, changes: Updateable<VerificationSessionTable>): Promise<SessionRow> {
      return db
        .updateTable('verification_sessions')
        .set({ ...changes, updated_at: new Date() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /** The session when `userId` belongs to its organization (operator dashboards). */
    findVisible(userId: string, sessionId: string): Promise<SessionRow | undefined> {
      return db
        .selectFrom('verification_sessions as s')
        .innerJoin('memberships as m', 'm.organization_id', 's.organization_id')
        .selectAll('s')
        .where('s.id', '=', sessionId)
        .where('m.user_id', '=', userId)
        .executeTakeFirst();
    },

    /**
     * The newest sessions of the organizations `userId` belongs to (newest first, id as tie-break),
     * narrowed by the console's filters; `offset` pages through them.
     */
    listVisible(userId: string, limit: number, filter: SessionListFilter = {}): Promise<SessionRow[]> {
      let query = db
        .selectFrom('verification_sessions as s')
        .innerJoin('memberships as m', 'm.organization_id', 's.organization_id')
        .selectAll('s')
        .where('m.user_id', '=', userId);
      if (filter.organizationId) query = query.where('s.organization_id', '=', filter.organizationId);
      if (filter.reviewStatus) query = query.where('s.review_status', '=', filter.reviewStatus);
      if (filter.riskLabel === 'none') query = query.where('s.risk_label', 'is', null);
      else if (filter.riskLabel) query = query.where('s.risk_label', '=', filter.riskLabel);
      if (filter.externalUserId) {
        // A case-insensitive substring: LIKE's wildcards in the search are matched literally.
        const pattern = `%${filter.externalUserId.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        query = query.where('s.external_user_id', 'ilike', pattern);
      }
      return query
        .orderBy('s.created_at', 'desc')
        .orderBy('s.id')
        .limit(limit)
        .offset(filter.offset ?? 0)
        .execute();
    },

    /** Of `ids`, those `userId` may see, with their organizations. */
    visibleOrganizations(userId: string, ids: string[]): Promise<{ id: string; organization_id: string }[]> {
      return db
        .selectFrom('verification_sessions as s')
        .innerJoin('memberships as m', 'm.organization_id', 's.organization_id')
        .select(['s.id', 's.organization_id'])
        .where('m.user_id', '=', userId)
        .where('s.id', 'in', ids)
        .execute();
    },

    /** Sessions that expired more than `retentionSeconds` ago and still have their objects, oldest first. */
    listObjectsDue(
      retentionSeconds: number,
      limit: number,
    ): Promise<{ id: string; organization_id: string }[]> {
      return db
        .selectFrom('verification_sessions')
        .select(['id', 'organization_id'])
        .where('objects_purged_at', 'is', null)
        .where('expires_at', '<', sql<Date>`now() - make_interval(secs => ${retentionSeconds})`)
        .orderBy('expires_at')
        .limit(limit)
        .execute();
    },

    /** Records that the session's objects are gone; false when another worker recorded it first. */
    async markObjectsPurged(id: string): Promise<boolean> {
      const marked = await db
        .updateTable('verification_sessions')
        .set({ objects_purged_at: new Date() })
        .where('id', '=', id)
        .where('objects_purged_at', 'is', null)
        .executeTakeFirst();
      return Number(marked.numUpdatedRows) > 0;
    },
  };
}

export type VerificationSessionsRepository = ReturnType<typeof createVerificationSessionsRepository>;
