import { randomUUID } from 'node:crypto';
import { PG_ERROR, pgConstraint, pgErrorCode, randomToken, sha256Hex } from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import { type RequestOrigin, recordAudit } from '../audit/audit-log.js';
import type { AccountDB, OrganizationRow, RoleRow } from '../db/types.js';
import type { AccountDeps } from '../deps.js';
import { errors } from '../errors.js';
import { publishEmailRequested } from '../events/outbox.js';
import type { Principal } from '../http/principal.js';
import { epoch } from '../identity/access.js';
import { assertGrant, assertGrantWithin, beyondGranter, currentHolding } from '../identity/grants.js';
import { normalizeEmail } from '../identity/auth-service.js';
import { createOrganization, mapOrganizationError } from './create-organization.js';
import { slugify } from './slug.js';

type Db = Kysely<AccountDB>;

export function presentOrganization(row: OrganizationRow, memberCount: number) {
  return {
    org_id: row.id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    status: row.status,
    owner_id: row.owner_account_id,
    created_at: epoch(row.created_at),
    updated_at: epoch(row.updated_at),
    member_count: memberCount,
  };
}

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

async function memberCount(db: Db, orgId: string): Promise<number> {
  const row = await db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organization_id', '=', orgId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function activeOrganization(db: Db, orgId: string): Promise<OrganizationRow> {
  const org = await db
    .selectFrom('organizations')
    .selectAll()
    .where('id', '=', orgId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (!org) throw errors.NOT_FOUND('Organization');
  return org;
}

/**
 * The caller's membership, read fresh from the database. A non-member gets 404: it must not learn
 * that the organization exists.
 */
export async function requireMember(db: Db, principal: Principal, orgId: string) {
  const org = await activeOrganization(db, orgId);
  if (principal.type === 'service') {
    if (principal.orgId !== orgId) throw errors.NOT_FOUND('Organization');
    return { org, roleName: 'service' };
  }
  const membership = await db
    .selectFrom('memberships as m')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select(['r.name'])
    .where('m.organization_id', '=', orgId)
    .where('m.account_id', '=', principal.accountId)
    .executeTakeFirst();
  if (!membership) throw errors.NOT_FOUND('Organization');
  return { org, roleName: membership.name };
}

export async function checkOrganization(db: Db, orgId: string) {
  const org = await activeOrganization(db, orgId);
  return { org_id: org.id, name: org.name, created_at: epoch(org.created_at) };
}

export async function listMyOrganizations(db: Db, principal: Principal, page: number, perPage: number) {
  const base = db
    .selectFrom('organizations as o')
    .where('o.status', '=', 'active')
    .where((eb) =>
      principal.type === 'service'
        ? eb('o.id', '=', principal.orgId)
        : eb(
            'o.id',
            'in',
            eb
              .selectFrom('memberships')
              .select('organization_id')
              .where('account_id', '=', principal.accountId),
          ),
    );
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await base
    .selectAll('o')
    .select((eb) =>
      eb
        .selectFrom('memberships as m')
        .select((inner) => inner.fn.countAll<number>().as('n'))
        .whereRef('m.organization_id', '=', 'o.id')
        .as('member_count'),
    )
    .orderBy('o.created_at')
    .orderBy('o.id')
    .limit(perPage)
    .offset((page - 1) * perPage)
    .execute();
  return {
    items: rows.map((row) => presentOrganization(row, Number(row.member_count ?? 0))),
    total: Number(total),
  };
}

export async function getOrganization(db: Db, principal: Principal, orgId: string) {
  const { org } = await requireMember(db, principal, orgId);
  return presentOrganization(org, await memberCount(db, orgId));
}

function assertSlug(slug: string) {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug) || slug.length > 100) {
    throw errors.VALIDATION('slug', 'must be at most 100 lower-case letters, digits and single dashes');
  }
}

export async function createTeamOrganization(
  db: Db,
  principal: Principal,
  input: { name: string; slug?: string | undefined; description?: string | undefined },
  origin: RequestOrigin,
) {
  if (principal.type !== 'human') throw errors.UNAUTHORIZED('Only human accounts can create organizations');
  const slug = input.slug ?? slugify(input.name);
  assertSlug(slug);
  const org = await db.transaction().execute(async (trx) => {
    const org = await createOrganization(trx, {
      name: input.name,
      slug,
      ownerId: principal.accountId,
      isPersonal: false,
      description: input.description ?? null,
    });
    await recordAudit(trx, {
      actorId: principal.accountId,
      organizationId: org.id,
      action: 'organization.created',
      targetType: 'organization',
      targetId: org.id,
      targetLabel: org.name,
      origin,
    });
    return org;
  });
  return presentOrganization(org, 1);
}

export async function updateOrganization(
  db: Db,
  principal: Principal,
  orgId: string,
  patch: { name?: string | undefined; slug?: string | undefined; description?: string | null | undefined },
  origin: RequestOrigin,
) {
  await activeOrganization(db, orgId);
  if (patch.slug !== undefined) assertSlug(patch.slug);
  let org: OrganizationRow;
  try {
    org = await db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('organizations')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.slug !== undefined ? { slug: patch.slug } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          updated_at: new Date(),
        })
        .where('id', '=', orgId)
        .where('status', '=', 'active')
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw errors.NOT_FOUND('Organization');
      await recordAudit(trx, {
        actorId: principal.accountId,
        organizationId: orgId,
        action: 'organization.updated',
        targetType: 'organization',
        targetId: orgId,
        targetLabel: updated.name,
        metadata: { fields: Object.keys(patch) },
        origin,
      });
      return updated;
    });
  } catch (error) {
    throw mapOrganizationError(error);
  }
  return presentOrganization(org, await memberCount(db, orgId));
}

/** Soft delete. The personal organization stays: every account keeps one home. */
export async function archiveOrganization(
  db: Db,
  principal: Principal,
  orgId: string,
  origin: RequestOrigin,
) {
  const org = await activeOrganization(db, orgId);
  if (org.is_personal) throw errors.VALIDATION('org_id', 'a personal organization cannot be deleted');
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('organizations')
      .set({ status: 'archived', deleted_at: new Date(), updated_at: new Date() })
      .where('id', '=', orgId)
      .execute();
    await recordAudit(trx, {
      actorId: principal.accountId,
      organizationId: orgId,
      action: 'organization.deleted',
      targetType: 'organization',
      targetId: orgId,
      targetLabel: org.name,
      origin,
    });
  });
}

export async function leaveOrganization(db: Db, principal: Principal, orgId: string, origin: RequestOrigin) {
  if (principal.type !== 'human')
    throw errors.UNAUTHORIZED('Service accounts cannot leave their organization');
  const { org } = await requireMember(db, principal, orgId);
  if (org.owner_account_id === principal.accountId) {
    throw errors.VALIDATION(
      'org_id',
      'the owner cannot leave; transfer ownership or delete the organization',
    );
  }
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('memberships')
      .where('organization_id', '=', orgId)
      .where('account_id', '=', principal.accountId)
      .execute();
    await resetDefaultOrganization(trx, principal.accountId, orgId);
    await recordAudit(trx, {
      actorId: principal.accountId,
      organizationId: orgId,
      action: 'member.left',
      targetType: 'member',
      targetId: principal.accountId,
      origin,
    });
  });
}

/** An account whose default org it no longer belongs to falls back to its personal org. */
async function resetDefaultOrganization(trx: Db, accountId: string, leftOrgId: string) {
  await trx
    .updateTable('accounts')
    .set((eb) => ({
      default_organization_id: eb
        .selectFrom('organizations')
        .select('id')
        .where('owner_account_id', '=', accountId)
        .where('is_personal', '=', true)
        .limit(1),
    }))
    .where('id', '=', accountId)
    .where('default_organization_id', '=', leftOrgId)
    .execute();
}

export async function listMembers(
  db: Db,
  principal: Principal,
  orgId: string,
  page: number,
  perPage: number,
) {
  await requireMember(db, principal, orgId);
  const { total } = await db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .where('organization_id', '=', orgId)
    .executeTakeFirstOrThrow();
  const rows = await db
    .selectFrom('memberships as m')
    .innerJoin('accounts as a', 'a.id', 'm.account_id')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select([
      'a.id',
      'a.email',
      'a.display_name',
      'r.id as role_id',
      'r.name as role',
      'r.permissions',
      'm.joined_at',
    ])
    .where('m.organization_id', '=', orgId)
    .orderBy('m.joined_at')
    .orderBy('a.id')
    .limit(perPage)
    .offset((page - 1) * perPage)
    .execute();
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
    total: Number(total),
  };
}

/** The role an invitation without `role_id` assigns (the system `member` role). */
async function defaultRole(db: Db, orgId: string): Promise<RoleRow> {
  return db
    .selectFrom('roles')
    .selectAll()
    .where('organization_id', '=', orgId)
    .where('is_default', '=', true)
    .executeTakeFirstOrThrow();
}

async function roleInOrg(db: Db, orgId: string, roleId: string, field = 'role_id'): Promise<RoleRow> {
  const role = await db
    .selectFrom('roles')
    .selectAll()
    .where('id', '=', roleId)
    .where('organization_id', '=', orgId)
    .executeTakeFirst();
  if (!role) throw errors.VALIDATION(field, 'is not a role of this organization');
  return role;
}

/** Creates (or renews) a pending invitation and emails its token through `email.requested`. */
export async function inviteMember(
  deps: AccountDeps,
  principal: Principal,
  orgId: string,
  input: { email: string; role_id?: string | undefined },
  origin: RequestOrigin,
) {
  const org = await activeOrganization(deps.db, orgId);
  const email = normalizeEmail(input.email);
  const role = input.role_id
    ? await roleInOrg(deps.db, orgId, input.role_id)
    : await defaultRole(deps.db, orgId);
  if (role.name === 'owner' && role.is_system)
    throw errors.VALIDATION('role_id', 'the owner role cannot be assigned');
  assertGrant({ granter: principal, grant: role.permissions, grantee: 'human', field: 'role_id' });
  const existing = await deps.db
    .selectFrom('memberships as m')
    .innerJoin('accounts as a', 'a.id', 'm.account_id')
    .select('a.id')
    .where('m.organization_id', '=', orgId)
    .where((eb) => eb(eb.fn('lower', ['a.email']), '=', email))
    .executeTakeFirst();
  if (existing) throw errors.VALIDATION('email', 'is already a member of this organization');
  const token = randomToken(32);
  const invitationId = await deps.db.transaction().execute(async (trx) => {
    // A new invitation to the same address replaces the pending one (new token, new expiry).
    await trx
      .updateTable('invitations')
      .set({ status: 'cancelled' })
      .where('organization_id', '=', orgId)
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
      .where('status', '=', 'pending')
      .execute();
    const id = randomUUID();
    await trx
      .insertInto('invitations')
      .values({
        id,
        organization_id: orgId,
        email,
        role_id: input.role_id ?? null,
        token_hash: sha256Hex(token),
        invited_by: principal.accountId,
        expires_at: new Date(Date.now() + deps.config.invitationTtl * 1000),
      })
      .execute();
    await publishEmailRequested(deps.outbox, trx, {
      to: email,
      template: 'organization_invitation',
      token,
      base_url: deps.config.frontendBaseUrl,
      organization_name: org.name,
    });
    await recordAudit(trx, {
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

/**
 * What the invitation page shows before the invitee signs in: the organization, the invited
 * address, the role and who invited. Undefined for a token that is unknown, used, cancelled,
 * expired, or of an archived organization (the page says so without telling which).
 */
export async function previewInvitation(db: Db, token: string) {
  const row = await db
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
    .where('i.token_hash', '=', sha256Hex(token))
    .executeTakeFirst();
  if (row?.status !== 'pending' || row.expires_at.getTime() <= Date.now()) return undefined;
  if (row.organization_status !== 'active') return undefined;
  return {
    organizationName: row.organization_name,
    email: row.email,
    roleName: row.role_name ?? (await defaultRole(db, row.organization_id)).name,
    inviterName: row.inviter_name ?? undefined,
  };
}

/** Extension: the invitee (signed in with the invited email) joins with the invitation's role. */
export async function acceptInvitation(
  deps: AccountDeps,
  principal: Principal,
  token: string,
  origin: RequestOrigin,
) {
  if (principal.type !== 'human') throw errors.UNAUTHORIZED('Only human accounts can accept invitations');
  return deps.db.transaction().execute(async (trx) => {
    const invitation = await trx
      .selectFrom('invitations')
      .selectAll()
      .where('token_hash', '=', sha256Hex(token))
      .forUpdate()
      .executeTakeFirst();
    if (invitation?.status !== 'pending' || invitation.expires_at.getTime() <= Date.now()) {
      throw errors.VALIDATION('token', 'is invalid, expired or already used');
    }
    const account = await trx
      .selectFrom('accounts')
      .select(['email'])
      .where('id', '=', principal.accountId)
      .executeTakeFirstOrThrow();
    if (normalizeEmail(account.email ?? '') !== invitation.email) {
      throw errors.VALIDATION('token', 'was issued to another email address');
    }
    await activeOrganization(trx, invitation.organization_id);
    const role = invitation.role_id
      ? await roleInOrg(trx, invitation.organization_id, invitation.role_id)
      : await defaultRole(trx, invitation.organization_id);
    const roleId = role.id;
    // The inviter granted the role when inviting; it must still be able to when the grant lands
    // (it may have been demoted or removed since, or the role may have been edited).
    const inviter = await currentHolding(trx, invitation.invited_by, invitation.organization_id);
    const beyond = beyondGranter(inviter, role.permissions, 'human');
    if (beyond.length > 0) {
      throw errors.VALIDATION(
        'token',
        `the inviter can no longer grant this role (${beyond.join(', ')}); ask for a new invitation`,
      );
    }
    const inserted = await trx
      .insertInto('memberships')
      .values({
        organization_id: invitation.organization_id,
        account_id: principal.accountId,
        role_id: roleId,
      })
      .onConflict((oc) => oc.columns(['organization_id', 'account_id']).doNothing())
      .returning('role_id')
      .executeTakeFirst();
    if (!inserted) throw errors.VALIDATION('token', 'you are already a member of this organization');
    await trx
      .updateTable('invitations')
      .set({ status: 'accepted', accepted_at: new Date() })
      .where('id', '=', invitation.id)
      .execute();
    await recordAudit(trx, {
      actorId: principal.accountId,
      organizationId: invitation.organization_id,
      action: 'member.joined',
      targetType: 'member',
      targetId: principal.accountId,
      metadata: { invitation_id: invitation.id },
      origin,
    });
    return { organization_id: invitation.organization_id, role_id: roleId };
  });
}

export async function listInvitations(db: Db, orgId: string, page: number, perPage: number) {
  await activeOrganization(db, orgId);
  const base = db
    .selectFrom('invitations')
    .where('organization_id', '=', orgId)
    .where('status', '=', 'pending');
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await base
    .select(['id', 'email', 'role_id', 'invited_by', 'expires_at', 'created_at'])
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(perPage)
    .offset((page - 1) * perPage)
    .execute();
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
    total: Number(total),
  };
}

/** The HTTP face of the seed's gRPC-only cancel (`invitations:cancel`). */
export async function cancelInvitation(
  db: Db,
  principal: Principal,
  orgId: string,
  invitationId: string,
  origin: RequestOrigin,
) {
  await activeOrganization(db, orgId);
  await db.transaction().execute(async (trx) => {
    const cancelled = await trx
      .updateTable('invitations')
      .set({ status: 'cancelled' })
      .where('id', '=', invitationId)
      .where('organization_id', '=', orgId)
      .where('status', '=', 'pending')
      .returning(['email'])
      .executeTakeFirst();
    if (!cancelled) throw errors.NOT_FOUND('Invitation');
    await recordAudit(trx, {
      actorId: principal.accountId,
      organizationId: orgId,
      action: 'invitation.cancelled',
      targetType: 'invitation',
      targetId: invitationId,
      targetLabel: cancelled.email,
      origin,
    });
  });
}

export async function removeMember(
  db: Db,
  principal: Principal,
  orgId: string,
  accountId: string,
  origin: RequestOrigin,
) {
  const org = await activeOrganization(db, orgId);
  if (org.owner_account_id === accountId)
    throw errors.VALIDATION('account_id', 'the organization owner cannot be removed');
  await db.transaction().execute(async (trx) => {
    const removed = await trx
      .deleteFrom('memberships')
      .where('organization_id', '=', orgId)
      .where('account_id', '=', accountId)
      .returning('account_id')
      .executeTakeFirst();
    if (!removed) throw errors.NOT_FOUND('Member');
    await resetDefaultOrganization(trx, accountId, orgId);
    await recordAudit(trx, {
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
  db: Db,
  principal: Principal,
  orgId: string,
  accountId: string,
  roleId: string,
  origin: RequestOrigin,
) {
  const org = await activeOrganization(db, orgId);
  const role = await roleInOrg(db, orgId, roleId);
  if (org.owner_account_id === accountId)
    throw errors.VALIDATION('account_id', "the owner's role cannot be changed");
  if (role.is_system && role.name === 'owner')
    throw errors.VALIDATION('role_id', 'the owner role cannot be assigned');
  const held = await db
    .selectFrom('memberships as m')
    .innerJoin('roles as r', 'r.id', 'm.role_id')
    .select(['r.permissions'])
    .where('m.organization_id', '=', orgId)
    .where('m.account_id', '=', accountId)
    .executeTakeFirst();
  if (!held) throw errors.NOT_FOUND('Member');
  assertGrantWithin({
    granter: principal,
    grant: held.permissions,
    grantee: 'human',
    field: 'account_id',
    target: "the member's current role",
  });
  assertGrant({ granter: principal, grant: role.permissions, grantee: 'human', field: 'role_id' });
  await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('memberships')
      .set({ role_id: roleId })
      .where('organization_id', '=', orgId)
      .where('account_id', '=', accountId)
      .returning('account_id')
      .executeTakeFirst();
    if (!updated) throw errors.NOT_FOUND('Member');
    await recordAudit(trx, {
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

export async function listRoles(db: Db, principal: Principal, orgId: string, page: number, perPage: number) {
  await requireMember(db, principal, orgId);
  const { total } = await db
    .selectFrom('roles')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .where('organization_id', '=', orgId)
    .executeTakeFirstOrThrow();
  const rows = await db
    .selectFrom('roles')
    .selectAll()
    .where('organization_id', '=', orgId)
    .orderBy('is_system', 'desc')
    .orderBy('created_at')
    .orderBy('name')
    .limit(perPage)
    .offset((page - 1) * perPage)
    .execute();
  return { items: rows.map(presentRole), total: Number(total) };
}

export async function getRole(db: Db, principal: Principal, orgId: string, roleId: string) {
  await requireMember(db, principal, orgId);
  const role = await db
    .selectFrom('roles')
    .selectAll()
    .where('id', '=', roleId)
    .where('organization_id', '=', orgId)
    .executeTakeFirst();
  if (!role) throw errors.NOT_FOUND('Role');
  return presentRole(role);
}

function mapRoleError(error: unknown): unknown {
  if (pgErrorCode(error) === PG_ERROR.uniqueViolation && pgConstraint(error) === 'roles_name_unique') {
    return errors.VALIDATION('name', 'a role with this name already exists in the organization');
  }
  return error;
}

export async function createRole(
  db: Db,
  principal: Principal,
  orgId: string,
  input: { name: string; description?: string | null | undefined; permissions: string[] },
  origin: RequestOrigin,
) {
  await activeOrganization(db, orgId);
  assertGrant({
    granter: principal,
    grant: input.permissions,
    grantee: 'human',
    field: 'permissions',
    wildcardAllowed: false,
  });
  try {
    const role = await db.transaction().execute(async (trx) => {
      const role = await trx
        .insertInto('roles')
        .values({
          id: randomUUID(),
          organization_id: orgId,
          name: input.name,
          description: input.description ?? null,
          permissions: [...new Set(input.permissions)],
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordAudit(trx, {
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
  } catch (error) {
    throw mapRoleError(error);
  }
}

export async function updateRole(
  db: Db,
  principal: Principal,
  orgId: string,
  roleId: string,
  patch: {
    name?: string | undefined;
    description?: string | null | undefined;
    permissions?: string[] | undefined;
  },
  origin: RequestOrigin,
) {
  await activeOrganization(db, orgId);
  const current = await db
    .selectFrom('roles')
    .selectAll()
    .where('id', '=', roleId)
    .where('organization_id', '=', orgId)
    .executeTakeFirst();
  if (!current) throw errors.NOT_FOUND('Role');
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
  try {
    const role = await db.transaction().execute(async (trx) => {
      const role = await trx
        .updateTable('roles')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.permissions !== undefined ? { permissions: [...new Set(patch.permissions)] } : {}),
          updated_at: new Date(),
        })
        .where('id', '=', roleId)
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordAudit(trx, {
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
  } catch (error) {
    throw mapRoleError(error);
  }
}

export async function deleteRole(
  db: Db,
  principal: Principal,
  orgId: string,
  roleId: string,
  origin: RequestOrigin,
) {
  await activeOrganization(db, orgId);
  const role = await db
    .selectFrom('roles')
    .selectAll()
    .where('id', '=', roleId)
    .where('organization_id', '=', orgId)
    .executeTakeFirst();
  if (!role) throw errors.NOT_FOUND('Role');
  if (role.is_system) throw errors.VALIDATION('role_id', 'system roles cannot be deleted');
  try {
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('roles').where('id', '=', roleId).execute();
      await recordAudit(trx, {
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
    // memberships.role_id is ON DELETE RESTRICT: the database refuses to orphan members.
    // 23001 restrict_violation (ON DELETE RESTRICT), 23503 for a plain foreign key.
    const code = pgErrorCode(error);
    if (code === '23001' || code === PG_ERROR.foreignKeyViolation) {
      const { n } = await db
        .selectFrom('memberships')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('role_id', '=', roleId)
        .executeTakeFirstOrThrow();
      throw errors.VALIDATION(
        'role_id',
        `the role is assigned to ${Number(n)} member(s); reassign them first`,
      );
    }
    throw error;
  }
}
