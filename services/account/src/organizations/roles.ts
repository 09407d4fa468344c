import { randomUUID } from 'node:crypto';
import { type RequestOrigin, recordAudit } from '../audit/audit-log.js';
import type { Repositories } from '../db/repositories.js';
import { type RolePatch, RoleInUseError, type RoleRepository } from '../db/roles-repository.js';
import type { RoleRow } from '../db/types.js';
import { errors } from '../errors.js';
import { epoch } from '../identity/access.js';
import { assertGrant, assertGrantWithin } from '../identity/grants.js';
import type { Principal } from '../identity/principal.js';
import { activeOrganization, requireMember } from './organizations.js';

export function presentRole(row: RoleRow) {
  return {
    role_id: row.id,
    name: row.name,
    description: row.description,
    permissions: row.permissions,
    is_system: row.is_system,
    created_at: epoch(row.created_at),
    updated_at: epoch(row.updated_at),
  };
}

/** A role named in a request (`field`) must belong to the organization. */
export async function roleInOrg(roles: RoleRepository, orgId: string, roleId: string, field = 'role_id') {
  const role = await roles.find(orgId, roleId);
  if (!role) throw errors.VALIDATION(field, 'is not a role of this organization');
  return role;
}

/** The owner role stays with the owner: it is never handed out by invitation or role change. */
export function assertAssignable(role: RoleRow): void {
  if (role.is_system && role.name === 'owner')
    throw errors.VALIDATION('role_id', 'the owner role cannot be assigned');
}

async function existingRole(roles: RoleRepository, orgId: string, roleId: string): Promise<RoleRow> {
  const role = await roles.find(orgId, roleId);
  if (!role) throw errors.NOT_FOUND('Role');
  return role;
}

export async function listRoles(
  repos: Repositories,
  principal: Principal,
  orgId: string,
  page: number,
  perPage: number,
) {
  await requireMember(repos, principal, orgId);
  const { rows, total } = await repos.roles.list(orgId, page, perPage);
  return { items: rows.map(presentRole), total };
}

export async function getRole(repos: Repositories, principal: Principal, orgId: string, roleId: string) {
  await requireMember(repos, principal, orgId);
  return presentRole(await existingRole(repos.roles, orgId, roleId));
}

export async function createRole(
  repos: Repositories,
  principal: Principal,
  orgId: string,
  input: { name: string; description?: string | null | undefined; permissions: string[] },
  origin: RequestOrigin,
) {
  await activeOrganization(repos.organizations, orgId);
  assertGrant({
    granter: principal,
    grant: input.permissions,
    grantee: 'human',
    field: 'permissions',
    wildcardAllowed: false,
  });
  const role = await repos.transaction(async (tx) => {
    const role = await tx.roles.insert({
      id: randomUUID(),
      organizationId: orgId,
      name: input.name,
      description: input.description ?? null,
      permissions: [...new Set(input.permissions)],
    });
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: orgId,
      action: 'role.created',
      targetType: 'role',
      targetId: role.id,
      targetLabel: role.name,
      origin,
    });
    return role;
  });
  return presentRole(role);
}

export async function updateRole(
  repos: Repositories,
  principal: Principal,
  orgId: string,
  roleId: string,
  patch: RolePatch,
  origin: RequestOrigin,
) {
  await activeOrganization(repos.organizations, orgId);
  const current = await existingRole(repos.roles, orgId, roleId);
  if (current.is_system) throw errors.VALIDATION('role_id', 'system roles are read-only');
  assertGrantWithin({
    granter: principal,
    grant: current.permissions,
    grantee: 'human',
    field: 'role_id',
    target: 'the role',
  });
  if (patch.permissions) {
    assertGrant({
      granter: principal,
      grant: patch.permissions,
      grantee: 'human',
      field: 'permissions',
      wildcardAllowed: false,
    });
  }
  const role = await repos.transaction(async (tx) => {
    const role = await tx.roles.update(roleId, {
      ...patch,
      ...(patch.permissions !== undefined ? { permissions: [...new Set(patch.permissions)] } : {}),
    });
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: orgId,
      action: 'role.updated',
      targetType: 'role',
      targetId: role.id,
      targetLabel: role.name,
      metadata: { fields: Object.keys(patch) },
      origin,
    });
    return role;
  });
  return presentRole(role);
}

export async function deleteRole(
  repos: Repositories,
  principal: Principal,
  orgId: string,
  roleId: string,
  origin: RequestOrigin,
) {
  await activeOrganization(repos.organizations, orgId);
  const role = await existingRole(repos.roles, orgId, roleId);
  if (role.is_system) throw errors.VALIDATION('role_id', 'system roles cannot be deleted');
  try {
    await repos.transaction(async (tx) => {
      await tx.roles.delete(roleId);
      await recordAudit(tx.auditLogs, {
        actorId: principal.accountId,
        organizationId: orgId,
        action: 'role.deleted',
        targetType: 'role',
        targetId: roleId,
        targetLabel: role.name,
        origin,
      });
    });
  } catch (error) {
    if (!(error instanceof RoleInUseError)) throw error;
    // Counted after the rolled-back transaction, for the message only.
    const holders = await repos.memberships.countWithRole(roleId);
    throw errors.VALIDATION('role_id', `the role is assigned to ${holders} member(s); reassign them first`);
  }
}
