import type { Kysely } from 'kysely';
import type { AccountDB } from './types.js';

/** One membership of an account, with its organization and role, as tokens and `/me` show it. */
export interface MembershipRecord {
  id: string;
  name: string;
  slug: string;
  status: string;
  owner_account_id: string;
  plan: string;
  created_at: Date;
  updated_at: Date;
  role_name: string;
  permissions: string[];
}

export function createMembershipRepository(db: Kysely<AccountDB>) {
  return {
    /** False when the account already belongs to the organization. */
    async insert(row: { organizationId: string; accountId: string; roleId: string }): Promise<boolean> {
      const inserted = await db
        .insertInto('memberships')
        .values({ organization_id: row.organizationId, account_id: row.accountId, role_id: row.roleId })
        .onConflict((oc) => oc.columns(['organization_id', 'account_id']).doNothing())
        .returning('role_id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    /** False when there was no such membership. */
    async remove(orgId: string, accountId: string): Promise<boolean> {
      const removed = await db
        .deleteFrom('memberships')
        .where('organization_id', '=', orgId)
        .where('account_id', '=', accountId)
        .returning('account_id')
        .executeTakeFirst();
      return removed !== undefined;
    },

    /** False when there was no such membership. */
    async setRole(orgId: string, accountId: string, roleId: string): Promise<boolean> {
      const updated = await db
        .updateTable('memberships')
        .set({ role_id: roleId })
        .where('organization_id', '=', orgId)
        .where('account_id', '=', accountId)
        .returning('account_id')
        .executeTakeFirst();
      return updated !== undefined;
    },

    /** The role the account holds in the organization, whatever the organization's status. */
    roleOf(orgId: string, accountId: string): Promise<{ name: string; permissions: string[] } | undefined> {
      return db
        .selectFrom('memberships as m')
        .innerJoin('roles as r', 'r.id', 'm.role_id')
        .select(['r.name', 'r.permissions'])
        .where('m.organization_id', '=', orgId)
        .where('m.account_id', '=', accountId)
        .executeTakeFirst();
    },

    /** The role's permissions while the organization is active. */
    async activeRolePermissions(orgId: string, accountId: string): Promise<string[] | undefined> {
      const row = await db
        .selectFrom('memberships as m')
        .innerJoin('organizations as o', 'o.id', 'm.organization_id')
        .innerJoin('roles as r', 'r.id', 'm.role_id')
        .select(['r.permissions'])
        .where('m.organization_id', '=', orgId)
        .where('m.account_id', '=', accountId)
        .where('o.status', '=', 'active')
        .executeTakeFirst();
      return row?.permissions;
    },

    async count(orgId: string): Promise<number> {
      const row = await db
        .selectFrom('memberships')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('organization_id', '=', orgId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async countWithRole(roleId: string): Promise<number> {
      const row = await db
        .selectFrom('memberships')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('role_id', '=', roleId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** Whether an account with this (normalized) email belongs to the organization. */
    async hasMemberWithEmail(orgId: string, email: string): Promise<boolean> {
      const row = await db
        .selectFrom('memberships as m')
        .innerJoin('accounts as a', 'a.id', 'm.account_id')
        .select('a.id')
        .where('m.organization_id', '=', orgId)
        .where((eb) => eb(eb.fn('lower', ['a.email']), '=', email))
        .executeTakeFirst();
      return row !== undefined;
    },

    /** A page of members with their accounts and roles, oldest first. */
    async list(orgId: string, page: number, perPage: number) {
      const { total } = await db
        .selectFrom('memberships')
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .where('organization_id', '=', orgId)
        .executeTakeFirstOrThrow();
      const rows = await db
        .selectFrom('memberships as m')
        .innerJoin('accounts as a', 'a.id', 'm.account_id')
        .innerJoin('roles as r', 'r.id', 'm.role_id')
        .select([
          'a.id',
          'a.email',
          'a.display_name',
          'r.id as role_id',
          'r.name as role',
          'r.permissions',
          'm.joined_at',
        ])
        .where('m.organization_id', '=', orgId)
        .orderBy('m.joined_at')
        .orderBy('a.id')
        .limit(perPage)
        .offset((page - 1) * perPage)
        .execute();
      return { rows, total: Number(total) };
    },

    /** The account's memberships in active organizations, in the order it joined them. */
    ofAccount(accountId: string): Promise<MembershipRecord[]> {
      return db
        .selectFrom('memberships as m')
        .innerJoin('organizations as o', 'o.id', 'm.organization_id')
        .innerJoin('roles as r', 'r.id', 'm.role_id')
        .select([
          'o.id',
          'o.name',
          'o.slug',
          'o.status',
          'o.owner_account_id',
          'o.plan',
          'o.created_at',
          'o.updated_at',
          'r.name as role_name',
          'r.permissions',
        ])
        .where('m.account_id', '=', accountId)
        .where('o.status', '=', 'active')
        .orderBy('m.joined_at')
        .execute();
    },
  };
}

export type MembershipRepository = ReturnType<typeof createMembershipRepository>;
