import { createHash, randomBytes } from 'node:crypto';
import type { Mailer, RateLimiter } from '@trustplane/kernel';
import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import { auditActor, type OrgAccess, type UserPrincipal } from '../auth/principal.js';
import { isRole, type Role, roleAtLeast } from '../auth/roles.js';
import { newId } from '../db/ids.js';
import {
  AlreadyInvitedError,
  type InvitationRow,
  type MemberListRow,
  type MemberRepository,
  type MembershipWrites,
} from '../db/member-repository.js';
import type { EventOutbox } from '../events/publish-event.js';
import type { OrgRepository } from '../db/org-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import { errors } from '../errors.js';

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
  writes: MembershipWrites;
  orgs: OrgRepository;
  audit: AuditLog;
  outbox: EventOutbox;
  mailer: Mailer;
  /** 30 invitation mails (invites and resends) an hour per org. */
  inviteLimiter: RateLimiter;
  /** The service's public URL: the invitation link points at its accept page. */
  publicUrl: string;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
  logWarning(message: string, fields: Record<string, unknown>): void;
}

const INVITATION_DAYS = 7;
const RESEND_INTERVAL_MS = 60_000;

/** A fresh invitation token (32 random bytes, base64url) and its sha-256, the only form stored. */
function mintToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function invitationExpiry(): Date {
  return new Date(Date.now() + INVITATION_DAYS * 24 * 60 * 60 * 1000);
}

/** Invitations are sent by people (keys never reach the people routes). */
function inviterIdOf(access: OrgAccess): string {
  if (access.principal.kind !== 'user') throw errors.FORBIDDEN();
  return access.principal.userId;
}

/** Only an owner grants, changes or removes `owner`; admins never touch owners. */
function assertMayTouch(callerRole: Role | null, targetRole: string, newRole?: Role): void {
  if (!callerRole || !roleAtLeast(callerRole, 'admin')) throw errors.FORBIDDEN();
  if ((targetRole === 'owner' || newRole === 'owner') && callerRole !== 'owner') {
    throw errors.FORBIDDEN('Only an owner can grant, change or remove the owner role');
  }
}

/** The member list as `GET /org/{slug}/members` answers it: members, then pending invitations. */
export function memberListView(members: MemberListRow[], invitations: InvitationRow[]): MemberView[] {
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
}

export function createMembers(deps: MembersDeps) {
  /**
   * The caller's role as it is now, under the org lock: a role changed by a request that committed
   * after this one's gate (a concurrent demotion) is the one that counts.
   */
  async function currentRole(trx: Transaction<BacklexDatabase>, access: OrgAccess): Promise<Role | null> {
    if (!access.memberId) return access.role;
    const me = await deps.writes.memberById(trx, access.org.id, access.memberId);
    if (!me) throw errors.NOT_FOUND();
    return isRole(me.role) ? me.role : null;
  }

  async function consumeInvite(organizationId: string): Promise<void> {
    const decision = await deps.inviteLimiter.consume(organizationId);
    if (!decision.allowed)
      throw errors.RATE_LIMITED(decision.retryAfterSeconds, 'At most 30 invitations an hour');
  }

  async function sendInvitation(
    invitation: { id: string; email: string; role: string },
    org: { name: string },
    inviter: string,
    token: string,
  ): Promise<void> {
    const link = new URL('/invitations/accept', deps.publicUrl);
    link.searchParams.set('token', token);
    try {
      await deps.mailer.send({
        to: invitation.email,
        subject: `Invitation to join ${org.name} on backlex`,
        text: `${inviter} invited you to join ${org.name} on backlex as ${invitation.role}.\n\nAccept the invitation:\n${link.href}\n\nThe link is valid for ${INVITATION_DAYS} days and works once.`,
      });
    } catch (error) {
      // The invitation stands; an admin resends it.
      deps.logWarning('invitation mail not sent', { invitationId: invitation.id, err: error });
    }
  }

  return {
    async list(access: OrgAccess): Promise<MemberView[]> {
      const [members, invitations] = await Promise.all([
        deps.members.listMembers(access.org.id),
        deps.members.listPendingInvitations(access.org.id),
      ]);
      return memberListView(members, invitations);
    },

    /** Invites an address (admins; never as owner): 409 when it is a member or already invited. */
    async invite(access: OrgAccess, input: { email: string; role: Exclude<Role, 'owner'> }) {
      const email = input.email.trim().toLowerCase();
      const { token, hash } = mintToken();
      const id = newId('inv');
      const org = await deps.transaction(async (trx) => {
        const current = await deps.orgs.lockActive(trx, access.org.id);
        if (!current) throw errors.NOT_FOUND();
        if (await deps.writes.memberWithEmail(trx, current.id, email)) throw errors.ALREADY_MEMBER();
        if (await deps.writes.pendingInvitationFor(trx, current.id, email)) throw errors.ALREADY_INVITED();
        await consumeInvite(current.id);
        const now = new Date();
        try {
          await deps.writes.insertInvitation(trx, {
            id,
            organizationId: current.id,
            email,
            role: input.role,
            status: 'pending',
            expiresAt: invitationExpiry(),
            inviterId: inviterIdOf(access),
            tokenHash: hash,
            lastSentAt: now,
            acceptedAt: null,
          });
        } catch (error) {
          if (error instanceof AlreadyInvitedError) throw errors.ALREADY_INVITED();
          throw error;
        }
        await deps.audit.record(trx, {
          organizationId: current.id,
          actor: auditActor(access.principal),
          action: 'invitation.created',
          target: { type: 'invitation', id },
          ip: access.ip,
          data: { email, role: input.role },
        });
        await deps.outbox.record(trx, {
          organizationId: current.id,
          type: 'member.invited',
          payload: { invitationId: id, email, role: input.role, actorId: auditActor(access.principal).id },
        });
        return current;
      });
      const inviter =
        access.principal.kind === 'user' ? access.principal.name || access.principal.email : org.name;
      await sendInvitation({ id, email, role: input.role }, org, inviter, token);
      return { id, email, role: input.role };
    },

    /**
     * Changes a member's role, or a pending invitation's (same id space as the list). The org row
     * is locked for the change, so two concurrent demotions of the last two owners cannot both pass.
     */
    async changeRole(access: OrgAccess, id: string, role: Role): Promise<void> {
      await deps.transaction(async (trx) => {
        const org = await deps.orgs.lockActive(trx, access.org.id);
        if (!org) throw errors.NOT_FOUND();
        const callerRole = await currentRole(trx, access);
        const member = await deps.writes.memberById(trx, org.id, id);
        if (member) {
          assertMayTouch(callerRole, member.role, role);
          if (member.role === role) return;
          if (member.role === 'owner' && (await deps.writes.countOwners(trx, org.id)) <= 1)
            throw errors.LAST_OWNER();
          await deps.writes.setRole(trx, member.id, role);
          await deps.audit.record(trx, {
            organizationId: org.id,
            actor: auditActor(access.principal),
            action: 'member.role_changed',
            target: { type: 'member', id: member.id },
            ip: access.ip,
            data: { userId: member.userId, from: member.role, to: role },
          });
          await deps.outbox.record(trx, {
            organizationId: org.id,
            type: 'member.role_changed',
            payload: {
              memberId: member.id,
              userId: member.userId,
              from: member.role,
              to: role,
              actorId: auditActor(access.principal).id,
            },
          });
          return;
        }
        const invitation = await deps.writes.invitationById(trx, org.id, id);
        if (invitation?.status !== 'pending') throw errors.NOT_FOUND();
        assertMayTouch(callerRole, invitation.role ?? 'viewer', role);
        if (role === 'owner') {
          throw errors.VALIDATION({
            details: {
              details: [
                {
                  path: 'role',
                  location: 'body',
                  message: 'an invitation cannot carry owner: promote the member once joined',
                },
              ],
            },
          });
        }
        await deps.writes.updateInvitation(trx, invitation.id, { role });
        await deps.audit.record(trx, {
          organizationId: org.id,
          actor: auditActor(access.principal),
          action: 'invitation.role_changed',
          target: { type: 'invitation', id: invitation.id },
          ip: access.ip,
          data: { email: invitation.email, from: invitation.role, to: role },
        });
      });
    },

    /** Removes a member (or the caller leaving), or cancels a pending invitation. */
    async remove(access: OrgAccess, id: string): Promise<void> {
      await deps.transaction(async (trx) => {
        const org = await deps.orgs.lockActive(trx, access.org.id);
        if (!org) throw errors.NOT_FOUND();
        const callerRole = await currentRole(trx, access);
        const member = await deps.writes.memberById(trx, org.id, id);
        if (member) {
          const leaving = access.memberId === member.id;
          if (!leaving) assertMayTouch(callerRole, member.role);
          if (member.role === 'owner' && (await deps.writes.countOwners(trx, org.id)) <= 1)
            throw errors.LAST_OWNER();
          await deps.writes.deleteMember(trx, member.id);
          await deps.audit.record(trx, {
            organizationId: org.id,
            actor: auditActor(access.principal),
            action: leaving ? 'member.left' : 'member.removed',
            target: { type: 'member', id: member.id },
            ip: access.ip,
            data: { userId: member.userId, role: member.role },
          });
          await deps.outbox.record(trx, {
            organizationId: org.id,
            type: leaving ? 'member.left' : 'member.removed',
            payload: { memberId: member.id, userId: member.userId, role: member.role },
          });
          return;
        }
        const invitation = await deps.writes.invitationById(trx, org.id, id);
        if (invitation?.status !== 'pending') throw errors.NOT_FOUND();
        assertMayTouch(callerRole, invitation.role ?? 'viewer');
        await deps.writes.updateInvitation(trx, invitation.id, { status: 'canceled', tokenHash: null });
        await deps.audit.record(trx, {
          organizationId: org.id,
          actor: auditActor(access.principal),
          action: 'invitation.canceled',
          target: { type: 'invitation', id: invitation.id },
          ip: access.ip,
          data: { email: invitation.email },
        });
        await deps.outbox.record(trx, {
          organizationId: org.id,
          type: 'member.invitation_cancelled',
          payload: {
            invitationId: invitation.id,
            email: invitation.email,
            actorId: auditActor(access.principal).id,
          },
        });
      });
    },

    /** Mails a pending invitation again with a new token (the old one stops working); once a minute. */
    async resend(access: OrgAccess, id: string): Promise<void> {
      const { token, hash } = mintToken();
      const sent = await deps.transaction(async (trx) => {
        const org = await deps.orgs.lockActive(trx, access.org.id);
        if (!org) throw errors.NOT_FOUND();
        if (await deps.writes.memberById(trx, org.id, id)) throw errors.NOT_PENDING();
        const invitation = await deps.writes.invitationById(trx, org.id, id);
        if (invitation?.status !== 'pending') throw errors.NOT_FOUND();
        const last = (invitation.lastSentAt ?? invitation.createdAt).getTime();
        const wait = last + RESEND_INTERVAL_MS - Date.now();
        if (wait > 0)
          throw errors.RATE_LIMITED(Math.ceil(wait / 1000), 'An invitation is resent at most once a minute');
        await consumeInvite(org.id);
        await deps.writes.updateInvitation(trx, invitation.id, {
          tokenHash: hash,
          lastSentAt: new Date(),
          expiresAt: invitationExpiry(),
        });
        await deps.audit.record(trx, {
          organizationId: org.id,
          actor: auditActor(access.principal),
          action: 'invitation.resent',
          target: { type: 'invitation', id: invitation.id },
          ip: access.ip,
          data: { email: invitation.email },
        });
        return { org, invitation };
      });
      const inviter =
        access.principal.kind === 'user' ? access.principal.name || access.principal.email : sent.org.name;
      await sendInvitation(
        { id: sent.invitation.id, email: sent.invitation.email, role: sent.invitation.role ?? 'viewer' },
        sent.org,
        inviter,
        token,
      );
    },

    /**
     * Accepts an invitation with the mailed token: the session's email must be the invited one
     * (403); unknown or cancelled → 404; expired → 409 INVITATION_EXPIRED; used → 409
     * INVITATION_USED (also the loser of two parallel accepts). Verifies the email.
     */
    async accept(user: UserPrincipal, token: string, ip: string): Promise<{ orgSlug: string }> {
      return deps.transaction(async (trx) => {
        const invitation = await deps.writes.invitationByTokenHash(trx, hashToken(token));
        if (!invitation || invitation.status === 'canceled' || invitation.orgStatus !== 'active')
          throw errors.NOT_FOUND();
        if (invitation.status === 'accepted') throw errors.INVITATION_USED();
        if (invitation.status !== 'pending') throw errors.NOT_FOUND();
        if (invitation.expiresAt.getTime() <= Date.now()) throw errors.INVITATION_EXPIRED();
        if (invitation.email.toLowerCase() !== user.email.toLowerCase()) {
          throw errors.FORBIDDEN('This invitation was sent to another address');
        }
        const role = isRole(invitation.role) ? invitation.role : 'viewer';
        if (await deps.writes.memberOfUser(trx, invitation.organizationId, user.userId))
          throw errors.ALREADY_MEMBER();
        const memberId = newId('mem');
        await deps.writes.insertMember(trx, {
          id: memberId,
          organizationId: invitation.organizationId,
          userId: user.userId,
          role,
        });
        await deps.writes.updateInvitation(trx, invitation.id, {
          status: 'accepted',
          acceptedAt: new Date(),
        });
        await deps.writes.markEmailVerified(trx, user.userId);
        await deps.audit.record(trx, {
          organizationId: invitation.organizationId,
          actor: auditActor(user),
          action: 'member.joined',
          target: { type: 'member', id: memberId },
          ip,
          data: { invitationId: invitation.id, role },
        });
        await deps.outbox.record(trx, {
          organizationId: invitation.organizationId,
          type: 'member.joined',
          payload: { memberId, userId: user.userId, email: user.email, name: user.name, role },
        });
        return { orgSlug: invitation.orgSlug };
      });
    },
  };
}

export type Members = ReturnType<typeof createMembers>;
