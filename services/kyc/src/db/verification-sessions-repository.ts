import { type Insertable, type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import type { KycDatabase, VerificationSessionTable } from './tables.js';

export type SessionRow = Selectable<VerificationSessionTable>;

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

    /** The newest sessions of the organizations `userId` belongs to. */
    listVisible(userId: string, limit: number): Promise<SessionRow[]> {
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
