import { randomUUID } from 'node:crypto';
import type { TransactionRepositories } from '../db/repositories.js';
import type { OrganizationRow } from '../db/types.js';

/** Permissions of the system `member` role, the default for invitations. */
export const MEMBER_ROLE_PERMISSIONS = ['read:profile', 'read:organizations', 'read:sessions'];

/**
 * Creates an organization with its two system roles (`owner` with `*`, `member` as the default
 * for invitations) and the owner's membership, in the caller's transaction.
 */
export async function createOrganization(
  tx: Pick<TransactionRepositories, 'organizations' | 'roles' | 'memberships'>,
  input: { name: string; slug: string; ownerId: string; isPersonal: boolean; description?: string | null },
): Promise<OrganizationRow> {
  const organization = await tx.organizations.insert({
    id: randomUUID(),
    name: input.name,
    slug: input.slug,
    description: input.description ?? null,
    ownerId: input.ownerId,
    isPersonal: input.isPersonal,
  });
  const ownerRoleId = randomUUID();
  await tx.roles.insertMany([
    {
      id: ownerRoleId,
      organizationId: organization.id,
      name: 'owner',
      description: 'Organization owner with full access',
      permissions: ['*'],
      isSystem: true,
    },
    {
      id: randomUUID(),
      organizationId: organization.id,
      name: 'member',
      description: 'Default member role',
      permissions: MEMBER_ROLE_PERMISSIONS,
      isSystem: true,
      isDefault: true,
    },
  ]);
  await tx.memberships.insert({
    organizationId: organization.id,
    accountId: input.ownerId,
    roleId: ownerRoleId,
  });
  return organization;
}
