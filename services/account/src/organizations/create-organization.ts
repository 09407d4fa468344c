import { randomUUID } from 'node:crypto';
import { PG_ERROR, pgConstraint, pgErrorCode } from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import type { AccountDB, OrganizationRow } from '../db/types.js';
import { errors } from '../errors.js';

/** Permissions of the system `member` role, the default for invitations. */
export const MEMBER_ROLE_PERMISSIONS = ['read:profile', 'read:organizations', 'read:sessions'];

/**
 * Creates an organization with its two system roles (`owner` with `*`, `member` as the default
 * for invitations) and the owner's membership, in the caller's transaction.
 */
export async function createOrganization(
  trx: Kysely<AccountDB>,
  input: { name: string; slug: string; ownerId: string; isPersonal: boolean; description?: string | null },
): Promise<OrganizationRow> {
  const id = randomUUID();
  let organization: OrganizationRow;
  try {
    organization = await trx
      .insertInto('organizations')
      .values({
        id,
        name: input.name,
        slug: input.slug,
        description: input.description ?? null,
        owner_account_id: input.ownerId,
        is_personal: input.isPersonal,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    throw mapOrganizationError(error);
  }
  const ownerRoleId = randomUUID();
  await trx
    .insertInto('roles')
    .values([
      {
        id: ownerRoleId,
        organization_id: id,
        name: 'owner',
        description: 'Organization owner with full access',
        permissions: ['*'],
        is_system: true,
      },
      {
        id: randomUUID(),
        organization_id: id,
        name: 'member',
        description: 'Default member role',
        permissions: MEMBER_ROLE_PERMISSIONS,
        is_system: true,
        is_default: true,
      },
    ])
    .execute();
  await trx
    .insertInto('memberships')
    .values({ organization_id: id, account_id: input.ownerId, role_id: ownerRoleId })
    .execute();
  return organization;
}

/** The organizations table's own constraint violations, as field errors. */
export function mapOrganizationError(error: unknown): unknown {
  if (
    pgErrorCode(error) === PG_ERROR.uniqueViolation &&
    pgConstraint(error) === 'organizations_slug_unique'
  ) {
    return errors.VALIDATION('slug', 'is already taken; retry with another slug');
  }
  if (pgErrorCode(error) === PG_ERROR.checkViolation) {
    return errors.VALIDATION('slug', 'must be lower-case letters, digits and single dashes');
  }
  return error;
}
