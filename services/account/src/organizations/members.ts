import { type RequestOrigin, recordAudit } from '../audit/audit-log.js';
import type { Repositories } from '../db/repositories.js';
import { errors } from '../errors.js';
import { epoch } from '../identity/access.js';
import { assertGrant, assertGrantWithin } from '../identity/grants.js';
import type { Principal } from '../identity/principal.js';
import { activeOrganization, requireMember } from './organizations.js';
import { assertAssignable, roleInOrg } from './roles.js';

export async function listMembers(
  repos: Repositories,
  principal: Principal,
  orgId: string,
  page: number,
  perPage: number,
) {
  await requireMember(repos, principal, orgId);
  const { rows, total } = await repos.memberships.list(orgId, page, perPage);
  return {
    items: rows.map((row) => ({
      account_id: row.id,
      email: row.email ?? '',
      display_name: row.display_name,
      role: row.role,
      role_id: row.role_id,
      permissions: row.permissions,
      joined_at: epoch(row.joined_at),
    })),
    total,
  };
}

export async function leaveOrganization(
  repos: Repositories,
  principal: Principal,
  orgId: string,
  origin: RequestOrigin,
) {
  if (principal.type !== 'human')
    throw errors.UNAUTHORIZED('Service accounts cannot leave their organization');
  const { org } = await requireMember(repos, principal, orgId);
  if (org.owner_account_id === principal.accountId) {
    throw errors.VALIDATION(
      'org_id',
      'the owner cannot leave; transfer ownership or delete the organization',
    );
  }
  await repos.transaction(async (tx) => {
    await tx.memberships.remove(orgId, principal.accountId);
    await tx.accounts.resetDefaultOrganization(principal.accountId, orgId);
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: orgId,
      action: 'member.left',
      targetType: 'member',
      targetId: principal.accountId,
      origin,
    });
  });
}

export async function removeMember(
  repos: Repositories,
  principal: Principal,
  orgId: string,
  accountId: string,
  origin: RequestOrigin,
) {
  const org = await activeOrganization(repos.organizations, orgId);
  if (org.owner_account_id === accountId)
    throw errors.VALIDATION('account_id', 'the organization owner cannot be removed');
  await repos.transaction(async (tx) => {
    if (!(await tx.memberships.remove(orgId, accountId))) throw errors.NOT_FOUND('Member');
    await tx.accounts.resetDefaultOrganization(accountId, orgId);
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: orgId,
      action: 'member.removed',
      targetType: 'member',
      targetId: accountId,
      origin,
    });
  });
}

export async function updateMemberRole(
  repos: Repositories,
  principal: Principal,
  orgId: string,
  accountId: string,
  roleId: string,
  origin: RequestOrigin,
) {
  const org = await activeOrganization(repos.organizations, orgId);
  const role = await roleInOrg(repos.roles, orgId, roleId);
  if (org.owner_account_id === accountId)
    throw errors.VALIDATION('account_id', "the owner's role cannot be changed");
  assertAssignable(role);
  const held = await repos.memberships.roleOf(orgId, accountId);
  if (!held) throw errors.NOT_FOUND('Member');
  assertGrantWithin({
    granter: principal,
    grant: held.permissions,
    grantee: 'human',
    field: 'account_id',
    target: "the member's current role",
  });
  assertGrant({ granter: principal, grant: role.permissions, grantee: 'human', field: 'role_id' });
  await repos.transaction(async (tx) => {
    if (!(await tx.memberships.setRole(orgId, accountId, roleId))) throw errors.NOT_FOUND('Member');
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: orgId,
      action: 'member.role_updated',
      targetType: 'member',
      targetId: accountId,
      metadata: { role_id: roleId, role: role.name },
      origin,
    });
  });
}
