import type { Kysely } from 'kysely';
import type { KycDatabase, MembershipTable } from './tables.js';

export function createMembershipsRepository(db: Kysely<KycDatabase>) {
  return {
    async insert(membership: {
      organizationId: string;
      userId: string;
      role: MembershipTable['role'];
    }): Promise<void> {
      await db
        .insertInto('memberships')
        .values({
          organization_id: membership.organizationId,
          user_id: membership.userId,
          role: membership.role,
        })
        .execute();
    },

    async isMember(organizationId: string, userId: string): Promise<boolean> {
      const row = await db
        .selectFrom('memberships')
        .select('role')
        .where('organization_id', '=', organizationId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}

export type MembershipsRepository = ReturnType<typeof createMembershipsRepository>;
