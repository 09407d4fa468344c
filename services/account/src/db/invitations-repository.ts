import type { Kysely, Selectable } from 'kysely';
import type { AccountDB, InvitationsTable } from './types.js';

export type InvitationRow = Selectable<InvitationsTable>;

export function createInvitationRepository(db: Kysely<AccountDB>) {
  return {
    async insert(row: {
      id: string;
      organizationId: string;
      email: string;
      roleId: string | null;
      tokenHash: string;
      invitedBy: string;
      expiresAt: Date;
    }): Promise<void> {
      await db
        .insertInto('invitations')
        .values({
          id: row.id,
          organization_id: row.organizationId,
          email: row.email,
          role_id: row.roleId,
          token_hash: row.tokenHash,
          invited_by: row.invitedBy,
          expires_at: row.expiresAt,
        })
        .execute();
    },

    /** Cancels the pending invitations of the organization to this (normalized) email. */
    async cancelPendingTo(orgId: string, email: string): Promise<void> {
      await db
        .updateTable('invitations')
        .set({ status: 'cancelled' })
        .where('organization_id', '=', orgId)
        .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
        .where('status', '=', 'pending')
        .execute();
    },

    /** Cancels one pending invitation; its email, or undefined when there was none. */
    async cancel(orgId: string, invitationId: string): Promise<string | undefined> {
      const cancelled = await db
        .updateTable('invitations')
        .set({ status: 'cancelled' })
        .where('id', '=', invitationId)
        .where('organization_id', '=', orgId)
        .where('status', '=', 'pending')
        .returning(['email'])
        .executeTakeFirst();
      return cancelled?.email;
    },

    /** Locks the row until the caller's transaction ends (two acceptances never both land). */
    findByTokenHashForUpdate(tokenHash: string): Promise<InvitationRow | undefined> {
      return db
        .selectFrom('invitations')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .forUpdate()
        .executeTakeFirst();
    },

    /** The invitation behind a token with what its page shows: organization, role, inviter. */
    findPreviewByTokenHash(tokenHash: string) {
      return db
        .selectFrom('invitations as i')
        .innerJoin('organizations as o', 'o.id', 'i.organization_id')
        .leftJoin('roles as r', 'r.id', 'i.role_id')
        .leftJoin('accounts as a', 'a.id', 'i.invited_by')
        .select([
          'o.id as organization_id',
          'o.name as organization_name',
          'o.status as organization_status',
          'i.email',
          'i.status',
          'i.expires_at',
          'r.name as role_name',
          'a.display_name as inviter_name',
        ])
        .where('i.token_hash', '=', tokenHash)
        .executeTakeFirst();
    },
    async markAccepted(id: string): Promise<void> {
      await db
        .updateTable('invitations')
        .set({ status: 'accepted', accepted_at: new Date() })
        .where('id', '=', id)
        .execute();
    },

    /** A page of pending invitations, newest first. */
    async listPending(orgId: string, page: number, perPage: number) {
      const base = db
        .selectFrom('invitations')
        .where('organization_id', '=', orgId)
        .where('status', '=', 'pending');
      const { total } = await base
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .executeTakeFirstOrThrow();
      const rows = await base
        .select(['id', 'email', 'role_id', 'invited_by', 'expires_at', 'created_at'])
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(perPage)
        .offset((page - 1) * perPage)
        .execute();
      return { rows, total: Number(total) };
    },
  };
}

export type InvitationRepository = ReturnType<typeof createInvitationRepository>;
