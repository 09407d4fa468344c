import type { Transaction } from 'kysely';
import type { AuthTransactions, PendingJoin } from '../auth/auth-transaction.js';
import type { MembershipWrites } from '../db/member-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import type { EventOutbox } from '../events/publish-event.js';
import type { AuditLog } from './audit.js';

type Trx = Transaction<BacklexDatabase>;

/** A membership the SCIM projection changed (`scim/scim-plugin.ts` `reconcileUser`). */
export type ScimMemberChange =
  | { kind: 'joined'; organizationId: string; userId: string; memberId: string; role: string }
  | {
      kind: 'role_changed';
      organizationId: string;
      userId: string;
      memberId: string;
      from: string;
      to: string;
    }
  | { kind: 'removed'; organizationId: string; userId: string; memberId: string; role: string };

export interface PluginMembershipAuditDeps {
  authTransactions: AuthTransactions;
  memberships: MembershipWrites;
  audit: AuditLog;
  outbox: EventOutbox;
  transaction: <T>(work: (trx: Trx) => Promise<T>) => Promise<T>;
  logWarning: (message: string, fields: Record<string, unknown>) => void;
}

const SCIM_ACTOR = { type: 'scim' as const, id: null, label: 'scim' };

/**
 * Audit rows and events for membership changes better-auth's plugins make inside their own flows
 * (README, "Audit"): the SCIM projection's member inserts, role changes and removals, written in the
 * SCIM plugin's own transaction (`authTransactions.current()`); the SSO plugin's just-in-time
 * members, written in the transaction backlex runs the SSO callback in, before it commits.
 */
export function createPluginMembershipAudit(deps: PluginMembershipAuditDeps) {
  async function recordScim(trx: Trx, change: ScimMemberChange) {
    const target = { type: 'member', id: change.memberId };
    if (change.kind === 'joined') {
      const user = await deps.memberships.userContact(trx, change.userId);
      await deps.audit.record(trx, {
        organizationId: change.organizationId,
        actor: SCIM_ACTOR,
        action: 'member.joined',
        target,
        data: { userId: change.userId, role: change.role, via: 'scim' },
      });
      await deps.outbox.record(trx, {
        organizationId: change.organizationId,
        type: 'member.joined',
        payload: {
          memberId: change.memberId,
          userId: change.userId,
          email: user?.email ?? '',
          ...(user?.name ? { name: user.name } : {}),
          role: change.role,
        },
      });
    } else if (change.kind === 'role_changed') {
      await deps.audit.record(trx, {
        organizationId: change.organizationId,
        actor: SCIM_ACTOR,
        action: 'member.role_changed',
        target,
        data: { userId: change.userId, from: change.from, to: change.to, via: 'scim' },
      });
      await deps.outbox.record(trx, {
        organizationId: change.organizationId,
        type: 'member.role_changed',
        payload: {
          memberId: change.memberId,
          userId: change.userId,
          from: change.from,
          to: change.to,
          actorId: null,
        },
      });
    } else {
      await deps.audit.record(trx, {
        organizationId: change.organizationId,
        actor: SCIM_ACTOR,
        action: 'member.removed',
        target,
        data: { userId: change.userId, role: change.role, via: 'scim' },
      });
      await deps.outbox.record(trx, {
        organizationId: change.organizationId,
        type: 'member.removed',
        payload: { memberId: change.memberId, userId: change.userId, role: change.role, reason: 'scim' },
      });
    }
  }

  return {
    /** Called by the SCIM projection right after its write, inside the plugin's transaction. */
    async scimChange(change: ScimMemberChange): Promise<void> {
      const trx = deps.authTransactions.current();
      if (trx) return recordScim(trx, change);
      // Not expected (the plugin reconciles inside its own transaction); audited at once, apart.
      deps.logWarning('backlex: SCIM membership change outside a transaction; audited separately', {
        organizationId: change.organizationId,
        memberId: change.memberId,
      });
      await deps.transaction((own) => recordScim(own, change));
    },

    /**
     * After better-auth answered an SSO callback run in `trx`, before it commits: each member the
     * plugin announced (its `getRole` runs just before it inserts one) and did insert is audited
     * (`system`, label `sso:<provider id>`) and published as `member.joined`.
     */
    async ssoJoins(trx: Trx, joins: PendingJoin[]): Promise<void> {
      for (const join of joins) {
        const member = await deps.memberships.memberOfUser(trx, join.organizationId, join.userId);
        if (!member) continue;
        const user = await deps.memberships.userContact(trx, join.userId);
        await deps.audit.record(trx, {
          organizationId: join.organizationId,
          actor: { type: 'system', id: null, label: `sso:${join.providerId}` },
          action: 'member.joined',
          target: { type: 'member', id: member.id },
          data: { userId: join.userId, role: member.role, via: 'sso' },
        });
        await deps.outbox.record(trx, {
          organizationId: join.organizationId,
          type: 'member.joined',
          payload: {
            memberId: member.id,
            userId: join.userId,
            email: join.email,
            ...(user?.name ? { name: user.name } : {}),
            role: member.role,
          },
        });
      }
    },
  };
}

export type PluginMembershipAudit = ReturnType<typeof createPluginMembershipAudit>;
