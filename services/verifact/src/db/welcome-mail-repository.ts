import type { Kysely, Transaction } from 'kysely';
import type { VerifactDatabase } from './tables.js';

export interface PendingWelcomeMail {
  userId: string;
  email: string;
  name: string;
  role: string;
  tenantName: string;
  sealedPassword: string;
}

export function createWelcomeMailRepository(db: Kysely<VerifactDatabase>) {
  return {
    async insert(trx: Transaction<VerifactDatabase>, userId: string, sealedPassword: string): Promise<void> {
      await trx
        .insertInto('welcome_mails')
        .values({ user_id: userId, sealed_password: sealedPassword })
        .execute();
    },
    /**
     * Locks the user's unsent welcome mail for one delivery attempt. `busy` when another
     * attempt holds it (the caller tries again later); `done` when it was sent or never existed.
     */
    async claim(
      trx: Transaction<VerifactDatabase>,
      userId: string,
    ): Promise<PendingWelcomeMail | 'busy' | 'done'> {
      const row = await trx
        .selectFrom('welcome_mails')
        .innerJoin('users', 'users.id', 'welcome_mails.user_id')
        .innerJoin('tenants', 'tenants.id', 'users.tenant_id')
        .select([
          'welcome_mails.sealed_password',
          'welcome_mails.sent_at',
          'users.email',
          'users.name',
          'users.role',
          'tenants.name as tenant_name',
        ])
        .where('welcome_mails.user_id', '=', userId)
        .forUpdate('welcome_mails')
        .skipLocked()
        .executeTakeFirst();
      if (!row) {
        const exists = await db
          .selectFrom('welcome_mails')
          .select('user_id')
          .where('user_id', '=', userId)
          .executeTakeFirst();
        return exists ? 'busy' : 'done';
      }
      if (row.sent_at || !row.sealed_password) return 'done';
      return {
        userId,
        email: row.email,
        name: row.name,
        role: row.role,
        tenantName: row.tenant_name,
        sealedPassword: row.sealed_password,
      };
    },
    async markSent(trx: Transaction<VerifactDatabase>, userId: string): Promise<void> {
      await trx
        .updateTable('welcome_mails')
        .set((eb) => ({
          sent_at: new Date(),
          sealed_password: null,
          attempts: eb('attempts', '+', 1),
          last_error: null,
        }))
        .where('user_id', '=', userId)
        .execute();
    },
    async markFailed(trx: Transaction<VerifactDatabase>, userId: string, error: string): Promise<void> {
      await trx
        .updateTable('welcome_mails')
        .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error.slice(0, 500) }))
        .where('user_id', '=', userId)
        .execute();
    },
  };
}

export type WelcomeMailRepository = ReturnType<typeof createWelcomeMailRepository>;
