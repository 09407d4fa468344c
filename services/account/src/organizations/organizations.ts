import { type RequestOrigin, recordAudit } from '../audit/audit-log.js';
import type { OrganizationPatch, OrganizationRepository } from '../db/organizations-repository.js';
import type { Repositories } from '../db/repositories.js';
import type { OrganizationRow } from '../db/types.js';
import { errors } from '../errors.js';
import { epoch } from '../identity/access.js';
import type { Principal } from '../identity/principal.js';
import { createOrganization } from './create-organization.js';
import { slugify } from './slug.js';

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

/** The organization while it is active; 404 otherwise. */
export async function activeOrganization(
  organizations: OrganizationRepository,
  orgId: string,
): Promise<OrganizationRow> {
  const org = await organizations.findActive(orgId);
  if (!org) throw errors.NOT_FOUND('Organization');
  return org;
}

/**
 * The caller's membership, read fresh from the database. A non-member gets 404: it must not learn
 * that the organization exists.
 */
export async function requireMember(
  repos: Pick<Repositories, 'organizations' | 'memberships'>,
  principal: Principal,
  orgId: string,
) {
  const org = await activeOrganization(repos.organizations, orgId);
  if (principal.type === 'service') {
    if (principal.orgId !== orgId) throw errors.NOT_FOUND('Organization');
    return { org, roleName: 'service' };
  }
  const role = await repos.memberships.roleOf(orgId, principal.accountId);
  if (!role) throw errors.NOT_FOUND('Organization');
  return { org, roleName: role.name };
}

export async function checkOrganization(repos: Repositories, orgId: string) {
  const org = await activeOrganization(repos.organizations, orgId);
  return { org_id: org.id, name: org.name, created_at: epoch(org.created_at) };
}

export async function listMyOrganizations(
  repos: Repositories,
  principal: Principal,
  page: number,
  perPage: number,
) {
  const viewer =
    principal.type === 'service' ? { orgId: principal.orgId } : { accountId: principal.accountId };
  const { rows, total } = await repos.organizations.listFor(viewer, page, perPage);
  return { items: rows.map(({ row, memberCount }) => presentOrganization(row, memberCount)), total };
}

export async function getOrganization(repos: Repositories, principal: Principal, orgId: string) {
  const { org } = await requireMember(repos, principal, orgId);
  return presentOrganization(org, await repos.memberships.count(orgId));
}

function assertSlug(slug: string) {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug) || slug.length > 100) {
    throw errors.VALIDATION('slug', 'must be at most 100 lower-case letters, digits and single dashes');
  }
}

export async function createTeamOrganization(
  repos: Repositories,
  principal: Principal,
  input: { name: string; slug?: string | undefined; description?: string | undefined },
  origin: RequestOrigin,
) {
  if (principal.type !== 'human') throw errors.UNAUTHORIZED('Only human accounts can create organizations');
  const slug = input.slug ?? slugify(input.name);
  assertSlug(slug);
  const org = await repos.transaction(async (tx) => {
    const org = await createOrganization(tx, {
      name: input.name,
      slug,
      ownerId: principal.accountId,
      isPersonal: false,
      description: input.description ?? null,
    });
    await recordAudit(tx.auditLogs, {
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
  repos: Repositories,
  principal: Principal,
  orgId: string,
  patch: OrganizationPatch,
  origin: RequestOrigin,
) {
  await activeOrganization(repos.organizations, orgId);
  if (patch.slug !== undefined) assertSlug(patch.slug);
  const org = await repos.transaction(async (tx) => {
    const updated = await tx.organizations.update(orgId, patch);
    if (!updated) throw errors.NOT_FOUND('Organization');
    await recordAudit(tx.auditLogs, {
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
  return presentOrganization(org, await repos.memberships.count(orgId));
}

/** Soft delete. The personal organization stays: every account keeps one home. */
export async function archiveOrganization(
  repos: Repositories,
  principal: Principal,
  orgId: string,
  origin: RequestOrigin,
) {
  const org = await activeOrganization(repos.organizations, orgId);
  if (org.is_personal) throw errors.VALIDATION('org_id', 'a personal organization cannot be deleted');
  await repos.transaction(async (tx) => {
    await tx.organizations.archive(orgId);
    await recordAudit(tx.auditLogs, {
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
