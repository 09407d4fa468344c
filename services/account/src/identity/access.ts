import type { OrgClaim } from '../auth/tokens.js';
import type { MembershipRepository } from '../db/memberships-repository.js';
import type { AccountRow } from '../db/types.js';

/** Every human token carries these, verified or not: a user may always read their own profile. */
export const SELF_SERVICE_PERMISSIONS = ['read:profile', 'read:organizations', 'read:sessions'] as const;

export interface MembershipView {
  org_id: string;
  name: string;
  slug: string;
  status: string;
  owner_account_id: string;
  plan: string;
  created_at: number;
  updated_at: number;
  my_role: string;
  my_permissions: string[];
}

export interface HumanAccess {
  currentOrgId: string;
  permissions: string[];
  organizations: OrgClaim[];
  memberships: MembershipView[];
}

export const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

export function hasPermission(granted: readonly string[], permission: string): boolean {
  return granted.includes('*') || granted.includes(permission);
}

/** Permissions a token carries for a role: `*` collapses everything else. */
export function tokenPermissions(verified: boolean, rolePermissions: readonly string[]): string[] {
  if (!verified) return [...SELF_SERVICE_PERMISSIONS].sort();
  if (rolePermissions.includes('*')) return ['*'];
  return [...new Set([...SELF_SERVICE_PERMISSIONS, ...rolePermissions])].sort();
}

export async function listMemberships(
  memberships: MembershipRepository,
  accountId: string,
): Promise<MembershipView[]> {
  const rows = await memberships.ofAccount(accountId);
  return rows.map((row) => ({
    org_id: row.id,
    name: row.name,
    slug: row.slug,
    status: row.status,
    owner_account_id: row.owner_account_id,
    plan: row.plan,
    created_at: epoch(row.created_at),
    updated_at: epoch(row.updated_at),
    my_role: row.role_name,
    my_permissions: row.permissions,
  }));
}

/**
 * What a human's next token says: the wanted org when the account is still an active member of
 * it, else its default org, else its first org. Permissions come from the role held there, reduced
 * to the self-service set until the email is verified.
 */
export async function resolveHumanAccess(
  memberships: MembershipRepository,
  account: AccountRow,
  wantedOrgId?: string | null,
): Promise<HumanAccess> {
  const held = await listMemberships(memberships, account.id);
  const current =
    held.find((m) => m.org_id === wantedOrgId) ??
    held.find((m) => m.org_id === account.default_organization_id) ??
    held[0];
  if (!current) {
    // Every account keeps its personal org (it cannot be deleted or left), so this is a broken invariant.
    throw new Error(`account ${account.id} has no active organization`);
  }
  return {
    currentOrgId: current.org_id,
    permissions: tokenPermissions(account.email_verified_at !== null, current.my_permissions),
    organizations: held.map((m) => ({ id: m.org_id, role: m.my_role })),
    memberships: held,
  };
}
