import type { Kysely, Selectable } from 'kysely';
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
