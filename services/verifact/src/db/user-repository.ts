import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import { isUniqueViolation } from '@trustplane/kernel';
import type { UserRole, UserTable, VerifactDatabase } from './tables.js';

export type UserRow = Selectable<UserTable>;

export class EmailTakenError extends Error {
  override readonly name = 'EmailTakenError';
}

export function createUserRepository(db: Kysely<VerifactDatabase>) {
  return {
    async insert(
      row: Insertable<UserTable>,
      executor: Kysely<VerifactDatabase> | Transaction<VerifactDatabase> = db,
    ): Promise<UserRow> {
      try {
        return await executor.insertInto('users').values(row).returningAll().executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error, 'users_tenant_email')) throw new EmailTakenError();
        throw error;
      }
    },
    byId(tenantId: string, id: string): Promise<UserRow | undefined> {
      return db
        .selectFrom('users')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
    },
    list(tenantId: string, filter: { role?: UserRole; activeOnly: boolean }): Promise<UserRow[]> {
      let query = db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId);
      if (filter.role) query = query.where('role', '=', filter.role);
      if (filter.activeOnly) query = query.where('active', '=', true);
      return query.orderBy('created_at').orderBy('id').execute();
    },
    update(tenantId: string, id: string, changes: Updateable<UserTable>): Promise<UserRow | undefined> {
      return db
        .updateTable('users')
        .set({ ...changes, updated_at: new Date() })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
