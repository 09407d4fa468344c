import type { Kysely, Selectable } from 'kysely';
import { errors } from '../errors.js';
import { isUniqueViolation } from '@trustplane/kernel';
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
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
