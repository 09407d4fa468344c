import type { PrincipalType } from '../auth/tokens.js';
import type { Repositories } from '../db/repositories.js';
import { errors } from '../errors.js';
import { hasPermission, SELF_SERVICE_PERMISSIONS, tokenPermissions } from './access.js';

/**
 * The one grant rule of account, used by every path that hands out permissions (service account
 * capabilities, API key permissions, a role on invitation / acceptance / role change, a custom
 * role's permissions): what a principal grants is a subset of what it holds, `*` is granted by an
 * organization owner only, `password:reset` by nobody, and a service account never widens itself.
 * Keeping it in one place is the point: a path that grants without calling it is the bug.
 */

/** Who grants: a principal as its credential says, or an account's holding read from the database. */
export interface Granter {
  type: PrincipalType;
  permissions: readonly string[];
}

/** Who receives the grant. Every human token carries the self-service reads, so granting them to a human adds nothing. */
export type Grantee = 'human' | 'service';

/** Embedded only in the password-reset JWT (seed: "Not user-grantable"). */
const NEVER_GRANTABLE = new Set(['password:reset']);

/** `*` comes only from the system owner role (custom roles cannot carry it), so this is the org owner. */
export function isOwner(granter: Granter): boolean {
  return granter.type === 'human' && granter.permissions.includes('*');
}

/** The permissions of `requested` that `granter` may not grant (empty: the grant is allowed). */
export function beyondGranter(granter: Granter, requested: readonly string[], grantee: Grantee): string[] {
  const implied = grantee === 'human' ? new Set<string>(SELF_SERVICE_PERMISSIONS) : new Set<string>();
  return [...new Set(requested)].filter((permission) => {
    if (implied.has(permission)) return false;
    if (permission === '*') return !isOwner(granter);
    return !hasPermission(granter.permissions, permission);
  });
}

export interface GrantCheck {
  granter: Granter;
  /** The permissions the target will carry. */
  grant: readonly string[];
  grantee: Grantee;
  /** The request field the grant came from; errors name it. */
  field: string;
  /** Custom roles never carry `*`, whoever asks. */
  wildcardAllowed?: boolean;
}

/**
 * Throws when the grant is not allowed: 422/4002 for what no one may grant, 401/4003 (the seed's
 * "missing perm") for what this granter does not hold.
 */
export function assertGrant(check: GrantCheck): void {
  const never = [...new Set(check.grant)].filter(
    (permission) =>
      NEVER_GRANTABLE.has(permission) || (permission === '*' && check.wildcardAllowed === false),
  );
  if (never.length > 0) {
    const why = never.map((permission) =>
      permission === '*' ? '* belongs to the owner role only' : `${permission} is never grantable`,
    );
    throw errors.VALIDATION(check.field, why.join('; '));
  }
  const beyond = beyondGranter(check.granter, check.grant, check.grantee);
  if (beyond.length > 0) {
    const ownerOnly = beyond.includes('*') ? ' (only an organization owner grants *)' : '';
    throw errors.UNAUTHORIZED(
      `${check.field}: you cannot grant what you do not hold: ${beyond.join(', ')}${ownerOnly}`,
    );
  }
}

/**
 * Changing a member's role, editing a role or a service account touches a grant someone else made:
 * allowed only when that existing grant lies within the granter's own (no one reshapes a grant
 * above them, e.g. a member demoting an administrator or narrowing the owner's `*` bot).
 */
export function assertGrantWithin(check: Omit<GrantCheck, 'wildcardAllowed'> & { target: string }): void {
  const beyond = beyondGranter(check.granter, check.grant, check.grantee);
  if (beyond.length > 0) {
    throw errors.UNAUTHORIZED(`${check.field}: ${check.target} holds what you do not: ${beyond.join(', ')}`);
  }
}

/**
 * A service account acting on itself may narrow its capabilities, never widen them, even with a
 * permission its credential still carries (a service JWT keeps the permissions of its exchange for
 * up to an hour, after an administrator may have narrowed the account).
 */
export function assertNotWidened(current: readonly string[], next: readonly string[], field: string): void {
  if (current.includes('*')) return;
  const added = [...new Set(next)].filter((permission) => !current.includes(permission));
  if (added.length > 0) {
    throw errors.UNAUTHORIZED(`${field}: a service account cannot widen its own grant: ${added.join(', ')}`);
  }
}

/**
 * What an account holds in an organization now, read from the database (for a grant made earlier
 * and completed later, such as an invitation accepted days after it was sent): a human's role as
 * its token would carry it, a service account's capabilities unless archived, else nothing.
 */
export async function currentHolding(
  repos: Pick<Repositories, 'accounts' | 'serviceAccounts' | 'memberships'>,
  accountId: string | null,
  orgId: string,
): Promise<Granter> {
  if (!accountId) return { type: 'human', permissions: [] };
  const account = await repos.accounts.find(accountId);
  if (!account) return { type: 'human', permissions: [] };
  if (account.account_type === 'service') {
    const capabilities = await repos.serviceAccounts.liveCapabilities(accountId, orgId);
    return { type: 'service', permissions: capabilities ?? [] };
  }
  const rolePermissions = await repos.memberships.activeRolePermissions(orgId, accountId);
  if (!rolePermissions) return { type: 'human', permissions: [] };
  return {
    type: 'human',
    permissions: tokenPermissions(account.email_verified_at !== null, rolePermissions),
  };
}
