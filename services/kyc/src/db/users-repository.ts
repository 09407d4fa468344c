import type { Kysely, Selectable } from 'kysely';
import { errors } from '../errors.js';
import { isUniqueViolation } from './pg-errors.js';
import type { KycDatabase, UserTable } from './tables.js';

export type UserRow = Selectable<UserTable>;

export function createUsersRepository(db: Kysely<KycDatabase>) {
  return {
    async insert(user: { email: string; fullName: string; passwordHash: string }): Promise<UserRow> {
      try {
        return await db
          .insertInto('users')
          .values({
            email: user.email,
            email_normalized: user.email.trim().toLowerCase(),
            full_name: user.fullName,
            password_hash: user.passwordHash,
            accepted_terms_at: new Date(),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error, 'users_email_normalized_key')) throw errors.EMAIL_ALREADY_REGISTERED();
        throw error;
      }
    },
    findByEmail(email: string): Promise<UserRow | undefined> {
      return db
        .selectFrom('users')
        .selectAll()
        .where('email_normalized', '=', email.trim().toLowerCase())
        .executeTakeFirst();
    },
    async createSession(input: {
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
    findBySessionHash(tokenHash: string): Promise<UserRow | undefined> {
      return db
        .selectFrom('operator_sessions as s')
        .innerJoin('users as u', 'u.id', 's.user_id')
        .selectAll('u')
        .where('s.token_hash', '=', tokenHash)
        .where('s.expires_at', '>', new Date())
        .executeTakeFirst();
    },
    async deleteSession(tokenHash: string): Promise<void> {
      await db.deleteFrom('operator_sessions').where('token_hash', '=', tokenHash).execute();
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
