import { type Kysely, sql } from 'kysely';
import type { AccountDB } from './types.js';

export function createEmailVerificationTokenRepository(db: Kysely<AccountDB>) {
  return {
    async insert(row: { tokenHash: string; accountId: string; expiresAt: Date }): Promise<void> {
      await db
        .insertInto('email_verification_tokens')
        .values({ token_hash: row.tokenHash, account_id: row.accountId, expires_at: row.expiresAt })
        .execute();
    },

    /** Spends an unused, unexpired token; the account it verifies, or undefined. */
    async consume(tokenHash: string): Promise<string | undefined> {
      const row = await db
        .updateTable('email_verification_tokens')
        .set({ used_at: new Date() })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', new Date())
        .returning(['account_id'])
        .executeTakeFirst();
      return row?.account_id;
    },

    /** Deletes spent and expired tokens; how many. */
    async deleteSpentOrExpired(): Promise<number> {
      const result = await db
        .deleteFrom('email_verification_tokens')
        .where((eb) => eb.or([eb('expires_at', '<', sql<Date>`now()`), eb('used_at', 'is not', null)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type EmailVerificationTokenRepository = ReturnType<typeof createEmailVerificationTokenRepository>;
