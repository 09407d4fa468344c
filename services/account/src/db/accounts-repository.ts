import type { Kysely } from 'kysely';
import { errors } from '../errors.js';
import { isPgViolation } from '@trustplane/kernel';
import type { AccountDB, AccountRow } from './types.js';

export interface ProfileChanges {
  display_name?: string | undefined;
  bio?: string | undefined;
  timezone?: string | undefined;
  language?: string | undefined;
}

export function createAccountRepository(db: Kysely<AccountDB>) {
  return {
    /** A human account by email (`email` already normalized: trimmed, lower case). */
    findHumanByEmail(email: string): Promise<AccountRow | undefined> {
      return db
        .selectFrom('accounts')
        .selectAll()
        .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
        .where('account_type', '=', 'human')
        .executeTakeFirst();
    },

    find(id: string): Promise<AccountRow | undefined> {
      return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** What audit entries copy of their actor. */
    label(id: string): Promise<{ email: string | null; display_name: string } | undefined> {
      return db
        .selectFrom('accounts')
        .select(['email', 'display_name'])
        .where('id', '=', id)
        .executeTakeFirst();
    },

    async insertHuman(row: {
      id: string;
      email: string;
      passwordHash: string;
      displayName: string;
      timezone: string;
      language: string;
    }): Promise<AccountRow> {
      try {
        return await db
          .insertInto('accounts')
          .values({
            id: row.id,
            account_type: 'human',
            email: row.email,
            password_hash: row.passwordHash,
            display_name: row.displayName,
            timezone: row.timezone,
            language: row.language,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (error) {
        if (isPgViolation(error, 'uniqueViolation', 'accounts_email_unique')) {
          throw errors.VALIDATION('email', 'is already registered');
        }
        throw error;
      }
    },

    async insertService(row: { id: string; displayName: string }): Promise<void> {
      await db
        .insertInto('accounts')
        .values({
          id: row.id,
          account_type: 'service',
          email: null,
          password_hash: null,
          display_name: row.displayName,
        })
        .execute();
    },

    setDefaultOrganization(id: string, orgId: string): Promise<AccountRow> {
      return db
        .updateTable('accounts')
        .set({ default_organization_id: orgId })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /** An account whose default org it no longer belongs to falls back to its personal org. */
    async resetDefaultOrganization(id: string, leftOrgId: string): Promise<void> {
      await db
        .updateTable('accounts')
        .set((eb) => ({
          default_organization_id: eb
            .selectFrom('organizations')
            .select('id')
            .where('owner_account_id', '=', id)
            .where('is_personal', '=', true)
            .limit(1),
        }))
        .where('id', '=', id)
        .where('default_organization_id', '=', leftOrgId)
        .execute();
    },

    /** A rehash on login keeps `updated_at`: nothing the user changed. */
    async rehashPassword(id: string, passwordHash: string): Promise<void> {
      await db.updateTable('accounts').set({ password_hash: passwordHash }).where('id', '=', id).execute();
    },

    setPassword(id: string, passwordHash: string) {
      return db
        .updateTable('accounts')
        .set({ password_hash: passwordHash, updated_at: new Date() })
        .where('id', '=', id)
        .returning(['id', 'email', 'default_organization_id'])
        .executeTakeFirstOrThrow();
    },

    /** Keeps the first verification time when verified again. */
    markEmailVerified(id: string) {
      return db
        .updateTable('accounts')
        .set((eb) => ({ email_verified_at: eb.fn.coalesce('email_verified_at', eb.val(new Date())) }))
        .where('id', '=', id)
        .returning(['id', 'email', 'default_organization_id'])
        .executeTakeFirstOrThrow();
    },

    async update(id: string, changes: ProfileChanges): Promise<void> {
      await db
        .updateTable('accounts')
        .set({
          ...(changes.display_name !== undefined ? { display_name: changes.display_name } : {}),
          ...(changes.bio !== undefined ? { bio: changes.bio } : {}),
          ...(changes.timezone !== undefined ? { timezone: changes.timezone } : {}),
          ...(changes.language !== undefined ? { language: changes.language } : {}),
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .execute();
    },

    /** The account with its service-account columns (null for a human). */
    findWithServiceProfile(id: string) {
      return db
        .selectFrom('accounts as a')
        .leftJoin('service_accounts as s', 's.account_id', 'a.id')
        .select([
          'a.id',
          'a.account_type',
          'a.email',
          'a.display_name',
          'a.avatar_url',
          'a.timezone',
          'a.language',
          'a.email_verified_at',
          'a.bio',
          'a.metadata',
          'a.created_at',
          's.capabilities',
          's.model_config',
          's.organization_id',
        ])
        .where('a.id', '=', id)
        .executeTakeFirst();
    },
  };
}

export type AccountRepository = ReturnType<typeof createAccountRepository>;
