import type { Kysely } from 'kysely';
import type { KycDatabase } from './tables.js';
import type { UserRow } from './users-repository.js';

/** Operators' server-side sessions: the cookie carries a random token, its SHA-256 is stored. */
export function createOperatorSessionsRepository(db: Kysely<KycDatabase>) {
  return {
    async insert(input: {
      userId: string;
      tokenHash: string;
      rememberDevice: boolean;
      expiresAt: Date;
    }): Promise<void> {
      // Housekeeping on the way in: the user's expired sessions go.
      await db
        .deleteFrom('operator_sessions')
        .where('user_id', '=', input.userId)
        .where('expires_at', '<=', new Date())
        .execute();
      await db
        .insertInto('operator_sessions')
        .values({
          user_id: input.userId,
          token_hash: input.tokenHash,
          remember_device: input.rememberDevice,
          expires_at: input.expiresAt,
        })
        .execute();
    },

    /** The user behind a live session token hash. */
    findUser(tokenHash: string): Promise<UserRow | undefined> {
      return db
        .selectFrom('operator_sessions as s')
        .innerJoin('users as u', 'u.id', 's.user_id')
        .selectAll('u')
        .where('s.token_hash', '=', tokenHash)
        .where('s.expires_at', '>', new Date())
        .executeTakeFirst();
    },

    async delete(tokenHash: string): Promise<void> {
      await db.deleteFrom('operator_sessions').where('token_hash', '=', tokenHash).execute();
    },
  };
}

export type OperatorSessionsRepository = ReturnType<typeof createOperatorSessionsRepository>;
