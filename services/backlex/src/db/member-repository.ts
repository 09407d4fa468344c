import { isUniqueViolation } from '@trustplane/kernel';
import {
  type Insertable,
  type Kysely,
  type Selectable,
  sql,
  type Transaction,
  type Updateable,
} from 'kysely';
import type { BacklexDatabase, InvitationTable } from './tables.js';

export type InvitationRow = Selectable<InvitationTable>;

export interface MemberListRow {
  id: string;
  userId: string;
  email: string;
  name: string;
  role: string;
  createdAt: Date;
}

/** better-auth's `member` and `invitation` tables, scoped by org. */
export function createMemberRepository(db: Kysely<BacklexDatabase>) {
  return {
    /** The org's members with their user's email and name, oldest first. */
    listMembers(organizationId: string): Promise<MemberListRow[]> {
      return db
        .selectFrom('member')
        .innerJoin('user', 'user.id', 'member.userId')
        .select(['member.id', 'member.userId', 'user.email', 'user.name', 'member.role', 'member.createdAt'])
        .where('member.organizationId', '=', organizationId)
        .orderBy('member.createdAt')
        .orderBy('member.id')
        .execute();
    },
    /** The org's pending invitations (expired ones included: an admin resends or cancels them). */
    listPendingInvitations(organizationId: string): Promise<InvitationRow[]> {
      return db
        .selectFrom('invitation')
        .selectAll()
        .where('organizationId', '=', organizationId)
        .where('status', '=', 'pending')
        .orderBy('createdAt')
        .orderBy('id')
        .execute();
    },
  };
}

export type MemberRepository = ReturnType<typeof createMemberRepository>;

/** Writes on members and invitations; every caller holds the org row's lock (`OrgRepository.lockActive`). */
export function createMembershipWrites() {
  return {
    memberById(trx: Transaction<BacklexDatabase>, organizationId: string, id: string) {
      return trx
        .selectFrom('member')
        .selectAll()
        .where('organizationId', '=', organizationId)
        .where('id', '=', id)
        .executeTakeFirst();
    },
    memberOfUser(trx: Transaction<BacklexDatabase>, organizationId: string, userId: string) {
      return trx
        .selectFrom('member')
        .selectAll()
        .where('organizationId', '=', organizationId)
        .where('userId', '=', userId)
        .executeTakeFirst();
    },
    /** The user's address and name, for the events announcing their membership. */
    userContact(trx: Transaction<BacklexDatabase>, userId: string) {
      return trx.selectFrom('user').select(['email', 'name']).where('id', '=', userId).executeTakeFirst();
    },
    async memberWithEmail(
      trx: Transaction<BacklexDatabase>,
      organizationId: string,
      email: string,
    ): Promise<boolean> {
      const row = await trx
        .selectFrom('member')
        .innerJoin('user', 'user.id', 'member.userId')
        .select('member.id')
        .where('member.organizationId', '=', organizationId)
        .where(sql`lower("user"."email")`, '=', email.toLowerCase())
        .executeTakeFirst();
      return row !== undefined;
    },
    async countOwners(trx: Transaction<BacklexDatabase>, organizationId: string): Promise<number> {
      const row = await trx
        .selectFrom('member')
        .select((eb) => eb.fn.countAll<number>().as('owners'))
        .where('organizationId', '=', organizationId)
        .where('role', '=', 'owner')
        .executeTakeFirstOrThrow();
      return Number(row.owners);
    },
    async setRole(trx: Transaction<BacklexDatabase>, id: string, role: string): Promise<void> {
      await trx.updateTable('member').set({ role, updatedAt: new Date() }).where('id', '=', id).execute();
    },
    async deleteMember(trx: Transaction<BacklexDatabase>, id: string): Promise<void> {
      await trx.deleteFrom('member').where('id', '=', id).execute();
    },
    async insertMember(
      trx: Transaction<BacklexDatabase>,
      member: { id: string; organizationId: string; userId: string; role: string },
    ): Promise<void> {
      await trx
        .insertInto('member')
        .values({ ...member, createdAt: new Date(), updatedAt: null })
        .execute();
    },
    invitationById(trx: Transaction<BacklexDatabase>, organizationId: string, id: string) {
      return trx
        .selectFrom('invitation')
        .selectAll()
        .where('organizationId', '=', organizationId)
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
    },
    async pendingInvitationFor(
      trx: Transaction<BacklexDatabase>,
      organizationId: string,
      email: string,
    ): Promise<boolean> {
      const row = await trx
        .selectFrom('invitation')
        .select('id')
        .where('organizationId', '=', organizationId)
        .where('status', '=', 'pending')
        .where(sql`lower("email")`, '=', email.toLowerCase())
        .executeTakeFirst();
      return row !== undefined;
    },
    async insertInvitation(
      trx: Transaction<BacklexDatabase>,
      invitation: Insertable<InvitationTable>,
    ): Promise<void> {
      try {
        await trx.insertInto('invitation').values(invitation).execute();
      } catch (error) {
        if (isUniqueViolation(error, 'invitation_pending_email_key')) throw new AlreadyInvitedError();
        throw error;
      }
    },
    async updateInvitation(
      trx: Transaction<BacklexDatabase>,
      id: string,
      changes: Updateable<InvitationTable>,
    ): Promise<void> {
      await trx.updateTable('invitation').set(changes).where('id', '=', id).execute();
    },
    /** The invitation a token's hash names, locked (a double accept waits, then sees it used). */
    invitationByTokenHash(trx: Transaction<BacklexDatabase>, tokenHash: string) {
      return trx
        .selectFrom('invitation')
        .innerJoin('organization', 'organization.id', 'invitation.organizationId')
        .selectAll('invitation')
        .select([
          'organization.slug as orgSlug',
          'organization.status as orgStatus',
          'organization.name as orgName',
        ])
        .where('invitation.tokenHash', '=', tokenHash)
        .forUpdate('invitation')
        .executeTakeFirst();
    },
    /** Accepting an invitation proves control of the address. */
    async markEmailVerified(trx: Transaction<BacklexDatabase>, userId: string): Promise<void> {
      await trx
        .updateTable('user')
        .set({ emailVerified: true, updatedAt: new Date() })
        .where('id', '=', userId)
        .execute();
    },
  };
}

export class AlreadyInvitedError extends Error {
  override readonly name = 'AlreadyInvitedError';
}

export type MembershipWrites = ReturnType<typeof createMembershipWrites>;
