import type { NewOrganization, OrganizationRow } from '../db/organizations-repository.js';
import type { KycRepositories } from '../db/repositories.js';
import { errors } from '../errors.js';
import { isUuid } from '../ids.js';

/** Tenant organizations: created with their first owner, listed for a member. */
export function createOrganizations(repositories: KycRepositories) {
  return {
    /** The organization and its owner membership, in one transaction. */
    create(input: NewOrganization, ownerId: string): Promise<OrganizationRow> {
      return repositories.transaction(async (tx) => {
        const organization = await tx.organizations.insert(input);
        await tx.memberships.insert({ organizationId: organization.id, userId: ownerId, role: 'owner' });
        return organization;
      });
    },

    listForUser(userId: string): Promise<OrganizationRow[]> {
      return repositories.organizations.listForUser(userId);
    },

    isMember(organizationId: string, userId: string): Promise<boolean> {
      return repositories.memberships.isMember(organizationId, userId);
    },

    /** 403 unless the operator belongs to the organization (unknown ids included: no existence oracle). */
    async requireMember(organizationId: string, userId: string): Promise<void> {
      if (!isUuid(organizationId) || !(await repositories.memberships.isMember(organizationId, userId))) {
        throw errors.NOT_MEMBER();
      }
    },
  };
}

export type Organizations = ReturnType<typeof createOrganizations>;
