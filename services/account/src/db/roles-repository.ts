import type { Kysely } from 'kysely';
import { errors } from '../errors.js';
import { isPgViolation } from '@trustplane/kernel';
import { isRestrictViolation } from './pg-errors.js';
import type { AccountDB, RoleRow } from './types.js';

/** Members still hold the role (`memberships.role_id` is ON DELETE RESTRICT). */
export class RoleInUseError extends Error {
  override readonly name = 'RoleInUseError';
}

function roleWriteError(error: unknown): unknown {
  if (isPgViolation(error, 'uniqueViolation', 'roles_name_unique')) {
    return errors.VALIDATION('name', 'a role with this name already exists in the organization');
  }
  return error;
}

export interface RolePatch {
  name?: string | undefined;
  description?: string | null | undefined;
  permissions?: string[] | undefined;
}

export function createRoleRepository(db: Kysely<AccountDB>) {
  return {
    async insertMany(
      rows: {
        id: string;
        organizationId: string;
        name: string;
        description: string | null;
        permissions: string[];
        isSystem?: boolean;
        isDefault?: boolean;
      }[],
    ): Promise<void> {
      await db
        .insertInto('roles')
        .values(
          rows.map((row) => ({
            id: row.id,
            organization_id: row.organizationId,
            name: row.name,
            description: row.description,
            permissions: row.permissions,
            is_system: row.isSystem ?? false,
            is_default: row.isDefault ?? false,
          })),
        )
        .execute();
    },

    async insert(row: {
      id: string;
      organizationId: string;
      name: string;
      description: string | null;
      permissions: string[];
    }): Promise<RoleRow> {
      try {
        return await db
          .insertInto('roles')
          .values({
            id: row.id,
            organization_id: row.organizationId,
            name: row.name,
            description: row.description,
            permissions: row.permissions,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (error) {
        throw roleWriteError(error);
      }
    },

    find(orgId: string, roleId: string): Promise<RoleRow | undefined> {
      return db
        .selectFrom('roles')
        .selectAll()
        .where('id', '=', roleId)
        .where('organization_id', '=', orgId)
        .executeTakeFirst();
    },

    /** The role an invitation without `role_id` assigns (the system `member` role). */
    findDefault(orgId: string): Promise<RoleRow> {
      return db
        .selectFrom('roles')
        .selectAll()
        .where('organization_id', '=', orgId)
        .where('is_default', '=', true)
        .executeTakeFirstOrThrow();
    },

    /** System roles first, then by creation. */
    async list(orgId: string, page: number, perPage: number): Promise<{ rows: RoleRow[]; total: number }> {
      const { total } = await db
        .selectFrom('roles')
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .where('organization_id', '=', orgId)
        .executeTakeFirstOrThrow();
      const rows = await db
        .selectFrom('roles')
        .selectAll()
        .where('organization_id', '=', orgId)
        .orderBy('is_system', 'desc')
        .orderBy('created_at')
        .orderBy('name')
        .limit(perPage)
        .offset((page - 1) * perPage)
        .execute();
      return { rows, total: Number(total) };
    },

    async update(roleId: string, patch: RolePatch): Promise<RoleRow> {
      try {
        return await db
          .updateTable('roles')
          .set({
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(patch.permissions !== undefined ? { permissions: patch.permissions } : {}),
            updated_at: new Date(),
          })
          .where('id', '=', roleId)
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (error) {
        throw roleWriteError(error);
      }
    },

    /** Throws `RoleInUseError` while members hold the role: the database refuses to orphan them. */
    async delete(roleId: string): Promise<void> {
      try {
        await db.deleteFrom('roles').where('id', '=', roleId).execute();
      } catch (error) {
        if (isRestrictViolation(error)) throw new RoleInUseError(`role ${roleId} is assigned`);
        throw error;
      }
    },
  };
}

export type RoleRepository = ReturnType<typeof createRoleRepository>;
