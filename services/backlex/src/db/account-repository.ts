import { isPgViolation } from '@trustplane/kernel';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { BacklexDatabase } from './tables.js';

export class PreferencesTooLargeError extends Error {
  override readonly name = 'PreferencesTooLargeError';
}

export interface AccountRow {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
  title: string | null;
  timezone: string | null;
  preferences: Record<string, unknown> | null;
}

/** better-auth's `user` with backlex's `account_profile` beside it. */
export function createAccountRepository(db: Kysely<BacklexDatabase>) {
  return {
    async byUserId(userId: string): Promise<AccountRow | undefined> {
      return db
        .selectFrom('user')
        .leftJoin('account_profile', 'account_profile.user_id', 'user.id')
        .select([
          'user.id',
          'user.email',
          'user.name',
          'user.emailVerified',
          'account_profile.title',
          'account_profile.timezone',
          'account_profile.preferences',
        ])
        .where('user.id', '=', userId)
        .executeTakeFirst();
    },
    async updateName(trx: Transaction<BacklexDatabase>, userId: string, name: string): Promise<void> {
      await trx.updateTable('user').set({ name, updatedAt: new Date() }).where('id', '=', userId).execute();
    },
    /**
     * Sets title/timezone when given and merges `preferences` shallowly in one statement: keys
     * with a value replace, keys set to null are removed. Over 16 KB merged → PreferencesTooLargeError.
     */
    async updateProfile(
      trx: Transaction<BacklexDatabase>,
      userId: string,
      changes: { title?: string; timezone?: string; set?: Record<string, unknown>; remove?: string[] },
    ): Promise<void> {
      const set = JSON.stringify(changes.set ?? {});
      const remove = changes.remove ?? [];
      const merged = sql`(account_profile.preferences || ${set}::jsonb) - ${remove}::text[]`;
      try {
        await trx
          .insertInto('account_profile')
          .values({
            user_id: userId,
            title: changes.title ?? null,
            timezone: changes.timezone ?? null,
            preferences: sql`(${set}::jsonb - ${remove}::text[])` as never,
          })
          .onConflict((conflict) =>
            conflict.column('user_id').doUpdateSet({
              ...(changes.title !== undefined ? { title: changes.title } : {}),
              ...(changes.timezone !== undefined ? { timezone: changes.timezone } : {}),
              preferences: merged as never,
              updated_at: new Date(),
            }),
          )
          .execute();
      } catch (error) {
        if (isPgViolation(error, 'checkViolation', 'account_profile_preferences_size')) {
          throw new PreferencesTooLargeError();
        }
        throw error;
      }
    },
  };
}

export type AccountRepository = ReturnType<typeof createAccountRepository>;
