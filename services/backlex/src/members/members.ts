import type { OrgAccess } from '../auth/principal.js';
import type { MemberRepository } from '../db/member-repository.js';

/**
 * The seed's open `Member`, fixed in the README: a joined member (`status: "active"`, id = member
 * id) or a pending invitation (`status: "invited"`, id = invitation id, `userId`/`name` null).
 */
export interface MemberView {
  id: string;
  userId: string | null;
  email: string;
  name: string | null;
  role: string;
  status: 'active' | 'invited';
  joinedAt: string | null;
  invitedAt: string | null;
  expiresAt: string | null;
}

export interface MembersDeps {
  members: MemberRepository;
}

export function createMembers(deps: MembersDeps) {
  return {
    async list(access: OrgAccess): Promise<MemberView[]> {
      const [members, invitations] = await Promise.all([
        deps.members.listMembers(access.org.id),
        deps.members.listPendingInvitations(access.org.id),
      ]);
      return [
        ...members.map(
          (member): MemberView => ({
            id: member.id,
            userId: member.userId,
            email: member.email,
            name: member.name,
            role: member.role,
            status: 'active',
            joinedAt: member.createdAt.toISOString(),
            invitedAt: null,
            expiresAt: null,
          }),
        ),
        ...invitations.map(
          (invitation): MemberView => ({
            id: invitation.id,
            userId: null,
            email: invitation.email,
            name: null,
            role: invitation.role ?? 'viewer',
            status: 'invited',
            joinedAt: null,
            invitedAt: (invitation.lastSentAt ?? invitation.createdAt).toISOString(),
            expiresAt: invitation.expiresAt.toISOString(),
          }),
        ),
      ];
    },
  };
}

export type Members = ReturnType<typeof createMembers>;
