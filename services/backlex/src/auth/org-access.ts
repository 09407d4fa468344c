import type { OrgRepository } from '../db/org-repository.js';
import { errors } from '../errors.js';
import { ipAllowed } from '../orgs/ip-allowlist.js';
import type { KeyPrincipal, OrgAccess, Principal } from './principal.js';
import { isRole, type OrgOperationName, roleMayRun } from './roles.js';

/**
 * Seam for org API keys (h16-sso): resolves a key's access to the org `slug` names for
 * `operation`. Must answer 404 (`errors.NOT_FOUND`) for another org's slug and 403 for a scope or
 * `mcpTools` that does not cover the operation; the IP allowlist is applied here afterwards.
 */
export type KeyOrgAccessResolver = (
  key: KeyPrincipal,
  slug: string,
  operation: OrgOperationName,
) => Promise<Omit<OrgAccess, 'ip'>>;

export interface OrgAccessDeps {
  orgs: OrgRepository;
  keyAccess?: KeyOrgAccessResolver | undefined;
}

/**
 * The gate of every `/org/{slug}/…` route: an org the caller is not in is 404 (never 403, so
 * slugs cannot be probed); a member whose role is too weak is 403; so is a caller whose address
 * the org's `ipAllowlist` does not contain.
 */
export function createOrgAccess(deps: OrgAccessDeps) {
  return {
    async resolve(
      principal: Principal,
      slug: string,
      operation: OrgOperationName,
      ip: string,
    ): Promise<OrgAccess> {
      let access: Omit<OrgAccess, 'ip'>;
      if (principal.kind === 'user') {
        const membership = await deps.orgs.membershipBySlug(slug, principal.userId);
        if (!membership || !isRole(membership.role)) throw errors.NOT_FOUND();
        if (!roleMayRun(membership.role, operation)) throw errors.FORBIDDEN();
        access = { org: membership.org, principal, role: membership.role, memberId: membership.memberId };
      } else {
        if (!deps.keyAccess) throw errors.UNAUTHORIZED();
        access = await deps.keyAccess(principal, slug, operation);
      }
      if (!ipAllowed(access.org.ipAllowlist, ip)) {
        throw errors.FORBIDDEN('Your address is not on this organization’s IP allowlist');
      }
      return { ...access, ip };
    },
  };
}

export type OrgAccessResolver = ReturnType<typeof createOrgAccess>;
