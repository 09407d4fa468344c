import { randomUUID } from 'node:crypto';
import { randomToken, sha256Hex } from '@trustplane/kernel';
import { type RequestOrigin, recordAudit } from '../audit/audit-log.js';
import type { AccountConfig } from '../config.js';
import type { Repositories } from '../db/repositories.js';
import { errors } from '../errors.js';
import { type OutboxPublisher, publishEmailRequested } from '../events/outbox.js';
import { epoch } from '../identity/access.js';
import { normalizeEmail } from '../identity/email.js';
import { assertGrant, beyondGranter, currentHolding } from '../identity/grants.js';
import type { Principal } from '../identity/principal.js';
import { activeOrganization } from './organizations.js';
import { assertAssignable, roleInOrg } from './roles.js';

export interface InvitationDeps {
  repositories: Repositories;
  outbox: OutboxPublisher;
  config: Pick<AccountConfig, 'invitationTtl' | 'frontendBaseUrl'>;
}

/** Creates (or renews) a pending invitation and emails its token through `email.requested`. */
export async function inviteMember(
  deps: InvitationDeps,
  principal: Principal,
  orgId: string,
  input: { email: string; role_id?: string | undefined },
  origin: RequestOrigin,
) {
  const repos = deps.repositories;
  const org = await activeOrganization(repos.organizations, orgId);
  const email = normalizeEmail(input.email);
  const role = input.role_id
    ? await roleInOrg(repos.roles, orgId, input.role_id)
    : await repos.roles.findDefault(orgId);
  assertAssignable(role);
  assertGrant({ granter: principal, grant: role.permissions, grantee: 'human', field: 'role_id' });
  if (await repos.memberships.hasMemberWithEmail(orgId, email)) {
    throw errors.VALIDATION('email', 'is already a member of this organization');
  }
  const token = randomToken(32);
  const invitationId = await repos.transaction(async (tx) => {
    // A new invitation to the same address replaces the pending one (new token, new expiry).
    await tx.invitations.cancelPendingTo(orgId, email);
    const id = randomUUID();
    await tx.invitations.insert({
      id,
      organizationId: orgId,
      email,
      roleId: input.role_id ?? null,
      tokenHash: sha256Hex(token),
      invitedBy: principal.accountId,
      expiresAt: new Date(Date.now() + deps.config.invitationTtl * 1000),
    });
    await publishEmailRequested(deps.outbox, tx.executor, {
      to: email,
      template: 'organization_invitation',
      token,
      base_url: deps.config.frontendBaseUrl,
      organization_name: org.name,
    });
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: orgId,
      action: 'member.invited',
      targetType: 'invitation',
      targetId: id,
      targetLabel: email,
      metadata: { role_id: input.role_id ?? null },
      origin,
    });
    return id;
  });
  return { invitation_id: invitationId, message: `Invitation sent to ${email}` };
}

/** Extension: the invitee (signed in with the invited email) joins with the invitation's role. */
export async function acceptInvitation(
  repos: Repositories,
  principal: Principal,
  token: string,
  origin: RequestOrigin,
) {
  if (principal.type !== 'human') throw errors.UNAUTHORIZED('Only human accounts can accept invitations');
  return repos.transaction(async (tx) => {
    const invitation = await tx.invitations.findByTokenHashForUpdate(sha256Hex(token));
    if (invitation?.status !== 'pending' || invitation.expires_at.getTime() <= Date.now()) {
      throw errors.VALIDATION('token', 'is invalid, expired or already used');
    }
    const account = await tx.accounts.find(principal.accountId);
    if (normalizeEmail(account?.email ?? '') !== invitation.email) {
      throw errors.VALIDATION('token', 'was issued to another email address');
    }
    const orgId = invitation.organization_id;
    await activeOrganization(tx.organizations, orgId);
    const role = invitation.role_id
      ? await roleInOrg(tx.roles, orgId, invitation.role_id)
      : await tx.roles.findDefault(orgId);
    // The inviter granted the role when inviting; it must still be able to when the grant lands
    // (it may have been demoted or removed since, or the role may have been edited).
    const inviter = await currentHolding(tx, invitation.invited_by, orgId);
    const beyond = beyondGranter(inviter, role.permissions, 'human');
    if (beyond.length > 0) {
      throw errors.VALIDATION(
        'token',
        `the inviter can no longer grant this role (${beyond.join(', ')}); ask for a new invitation`,
      );
    }
    const joined = await tx.memberships.insert({
      organizationId: orgId,
      accountId: principal.accountId,
      roleId: role.id,
    });
    if (!joined) throw errors.VALIDATION('token', 'you are already a member of this organization');
    await tx.invitations.markAccepted(invitation.id);
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: orgId,
      action: 'member.joined',
      targetType: 'member',
      targetId: principal.accountId,
      metadata: { invitation_id: invitation.id },
      origin,
    });
    return { organization_id: orgId, role_id: role.id };
  });
}

/**
 * What the invitation page shows before the invitee signs in: the organization, the invited
 * address, the role and who invited. Undefined for a token that is unknown, used, cancelled,
 * expired, or of an archived organization (the page says so without telling which).
 */
export async function previewInvitation(repos: Repositories, token: string) {
  const row = await repos.invitations.findPreviewByTokenHash(sha256Hex(token));
  if (row?.status !== 'pending' || row.expires_at.getTime() <= Date.now()) return undefined;
  if (row.organization_status !== 'active') return undefined;
  return {
    organizationName: row.organization_name,
    email: row.email,
    roleName: row.role_name ?? (await repos.roles.findDefault(row.organization_id)).name,
    inviterName: row.inviter_name ?? undefined,
  };
}

export async function listInvitations(repos: Repositories, orgId: string, page: number, perPage: number) {
  await activeOrganization(repos.organizations, orgId);
  const { rows, total } = await repos.invitations.listPending(orgId, page, perPage);
  return {
    items: rows.map((row) => ({
      invitation_id: row.id,
      email: row.email,
      role_id: row.role_id,
      invited_by: row.invited_by,
      expires_at: epoch(row.expires_at),
      created_at: epoch(row.created_at),
      is_expired: row.expires_at.getTime() <= Date.now(),
    })),
    total,
  };
}

/** The HTTP face of the seed's gRPC-only cancel (`invitations:cancel`). */
export async function cancelInvitation(
  repos: Repositories,
  principal: Principal,
  orgId: string,
  invitationId: string,
  origin: RequestOrigin,
) {
  await activeOrganization(repos.organizations, orgId);
  await repos.transaction(async (tx) => {
    const email = await tx.invitations.cancel(orgId, invitationId);
    if (email === undefined) throw errors.NOT_FOUND('Invitation');
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: orgId,
      action: 'invitation.cancelled',
      targetType: 'invitation',
      targetId: invitationId,
      targetLabel: email,
      origin,
    });
  });
}
