import { type Kysely, sql } from 'kysely';
import type { AccountDB } from './types.js';

export function createPasswordResetTokenRepository(db: Kysely<AccountDB>) {
  return {
    async insert(row: { jti: string; accountId: string; tokenHash: string; expiresAt: Date }): Promise<void> {
      await db
        .insertInto('password_reset_tokens')
        .values({
          jti: row.jti,
          account_id: row.accountId,
          token_hash: row.tokenHash,
          expires_at: row.expiresAt,
        })
        .execute();
    },

    /** Spends the token once; false when it is unknown or already used. */
    async consume(token: { jti: string; accountId: string; tokenHash: string }): Promise<boolean> {
      const used = await db
        .updateTable('password_reset_tokens')
        .set({ used_at: new Date() })
        .where('jti', '=', token.jti)
        .where('account_id', '=', token.accountId)
        .where('token_hash', '=', token.tokenHash)
        .where('used_at', 'is', null)
        .returning('jti')
        .executeTakeFirst();
      return used !== undefined;
    },

    /** Deletes expired tokens (spent or not); how many. */
    async deleteExpired(): Promise<number> {
      const result = await db
        .deleteFrom('password_reset_tokens')
        .where('expires_at', '<', sql<Date>`now()`)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type PasswordResetTokenRepository = ReturnType<typeof createPasswordResetTokenRepository>;
