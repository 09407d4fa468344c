import { type Kysely, sql } from 'kysely';
import type { AccountDB, SessionRow } from './types.js';

/** Where a session is used from; truncated to the columns' sizes here. */
export interface SessionClient {
  ip: string;
  userAgent: string;
}

export interface SessionFilter {
  sessionIds?: string[];
  accountId?: string;
  exceptSessionId?: string | null;
}

export function createSessionRepository(db: Kysely<AccountDB>) {
  return {
    async insert(row: {
      id: string;
      accountId: string;
      organizationId: string;
      refreshJti: string;
      client: SessionClient & { deviceFingerprint: string };
      expiresAt: Date;
    }): Promise<void> {
      await db
        .insertInto('sessions')
        .values({
          id: row.id,
          account_id: row.accountId,
          organization_id: row.organizationId,
          refresh_jti: row.refreshJti,
          ip_address: row.client.ip,
          user_agent: row.client.userAgent.slice(0, 500),
          device_fingerprint: row.client.deviceFingerprint.slice(0, 200),
          expires_at: row.expiresAt,
        })
        .execute();
    },

    find(id: string): Promise<SessionRow | undefined> {
      return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** An unrevoked, unexpired session of the account. */
    async findLive(id: string, accountId: string): Promise<boolean> {
      const row = await db
        .selectFrom('sessions')
        .select(['id'])
        .where('id', '=', id)
        .where('account_id', '=', accountId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', new Date())
        .executeTakeFirst();
      return row !== undefined;
    },

    /** The account's unrevoked, unexpired sessions, newest first. */
    listLive(accountId: string): Promise<SessionRow[]> {
      return db
        .selectFrom('sessions')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', new Date())
        .orderBy('created_at', 'desc')
        .execute();
    },

    /**
     * Swaps the refresh JTI when `presentedJti` is still the current one and the session is live;
     * undefined otherwise (a replayed refresh token).
     */
    rotate(
      id: string,
      presentedJti: string,
      next: { jti: string; client: SessionClient; expiresAt: Date },
    ): Promise<SessionRow | undefined> {
      return db
        .updateTable('sessions')
        .set({
          refresh_jti: next.jti,
          last_used_at: new Date(),
          ip_address: next.client.ip,
          user_agent: next.client.userAgent.slice(0, 500),
          expires_at: next.expiresAt,
        })
        .where('id', '=', id)
        .where('refresh_jti', '=', presentedJti)
        .where('revoked_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
    },

    async setOrganization(id: string, orgId: string): Promise<void> {
      await db.updateTable('sessions').set({ organization_id: orgId }).where('id', '=', id).execute();
    },

    /** Binds a live session to another org with a new refresh JTI; false when it is revoked. */
    async switchOrganization(id: string, orgId: string, refreshJti: string): Promise<boolean> {
      const row = await db
        .updateTable('sessions')
        .set({ organization_id: orgId, refresh_jti: refreshJti, last_used_at: new Date() })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      return row !== undefined;
    },

    /** Ends the live sessions matching `filter`; returns their ids. */
    async revoke(filter: SessionFilter, reason: string): Promise<string[]> {
      if (filter.sessionIds?.length === 0) return [];
      let query = db
        .updateTable('sessions')
        .set({ revoked_at: new Date(), revoked_reason: reason })
        .where('revoked_at', 'is', null);
      if (filter.sessionIds) query = query.where('id', 'in', filter.sessionIds);
      if (filter.accountId) query = query.where('account_id', '=', filter.accountId);
      if (filter.exceptSessionId) query = query.where('id', '!=', filter.exceptSessionId);
      const rows = await query.returning('id').execute();
      return rows.map((row) => row.id);
    },

    /** Deletes sessions that expired or were revoked more than `retentionDays` ago; how many. */
    async deleteEndedBefore(retentionDays: number): Promise<number> {
      const horizon = sql<Date>`now() - make_interval(days => ${retentionDays})`;
      const result = await db
        .deleteFrom('sessions')
        .where((eb) => eb.or([eb('expires_at', '<', horizon), eb('revoked_at', '<', horizon)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type SessionRepository = ReturnType<typeof createSessionRepository>;
