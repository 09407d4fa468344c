import { createAccessControl } from 'better-auth/plugins/access';
import { defaultStatements } from 'better-auth/plugins/organization/access';

/**
 * Roles of an organization member, strongest first. One module for issues 16 and 17: every org
 * operation names the weakest role allowed to run it, and what an API key may do with it.
 */
export const ROLES = ['owner', 'admin', 'developer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { owner: 4, admin: 3, developer: 2, viewer: 1 };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when `role` is `minimum` or stronger (owner > admin > developer > viewer). */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}

/**
 * What an org API key's scope (`read-only`, `deploy`, `full`) may reach, besides its `mcpTools`:
 * - `read`: a GET (every scope);
 * - `project-write`: project writes a `deploy` key may do;
 * - `project-admin`: project deletes and restores (`full` only);
 * - `write`: other writes a `full` key may do;
 * - `people`: reserved to people (members, invitations, keys, SSO, SCIM, billing, org PATCH/DELETE):
 *   no key ever.
 */
export type KeyAccess = 'read' | 'project-write' | 'project-admin' | 'write' | 'people';

export interface OrgOperation {
  /** The weakest member role that may run it. */
  minimumRole: Role;
  key: KeyAccess;
}

/**
 * Every `/org/{slug}/…` operation of seed 003, by its catalogue name (the names `mcpTools` lists).
 * Issue 16: all members read members, keys, webhooks, integrations, notifications; admins also
 * audit, SSO, SCIM and manage them all; only an owner deletes the org (and grants or removes
 * `owner`, checked in the members domain). Issue 17 operations are listed with the role decided
 * here so both issues share one table.
 */
export const ORG_OPERATIONS = {
  // organization
  'org.overview': { minimumRole: 'viewer', key: 'read' },
  'org.update': { minimumRole: 'admin', key: 'people' },
  'org.delete': { minimumRole: 'owner', key: 'people' },
  'org.export': { minimumRole: 'admin', key: 'write' },
  'usage.get': { minimumRole: 'viewer', key: 'read' },
  'usage.history': { minimumRole: 'viewer', key: 'read' },
  'audit.list': { minimumRole: 'admin', key: 'read' },
  // members and invitations
  'members.list': { minimumRole: 'viewer', key: 'read' },
  'members.update': { minimumRole: 'admin', key: 'people' },
  'members.remove': { minimumRole: 'viewer', key: 'people' },
  'members.resend': { minimumRole: 'admin', key: 'people' },
  'invitations.create': { minimumRole: 'admin', key: 'people' },
  // API keys
  'apiKeys.list': { minimumRole: 'viewer', key: 'people' },
  'apiKeys.create': { minimumRole: 'admin', key: 'people' },
  'apiKeys.revoke': { minimumRole: 'admin', key: 'people' },
  // integrations, webhooks, notifications
  'integrations.list': { minimumRole: 'viewer', key: 'read' },
  'integrations.create': { minimumRole: 'admin', key: 'write' },
  'integrations.delete': { minimumRole: 'admin', key: 'write' },
  'webhooks.list': { minimumRole: 'viewer', key: 'read' },
  'webhooks.create': { minimumRole: 'admin', key: 'write' },
  'webhooks.delete': { minimumRole: 'admin', key: 'write' },
  'webhooks.test': { minimumRole: 'admin', key: 'write' },
  'webhookDeliveries.list': { minimumRole: 'viewer', key: 'read' },
  'notifications.list': { minimumRole: 'viewer', key: 'read' },
  'notifications.read': { minimumRole: 'viewer', key: 'write' },
  'notifications.readAll': { minimumRole: 'viewer', key: 'write' },
  // SSO and SCIM
  'sso.get': { minimumRole: 'admin', key: 'people' },
  'sso.put': { minimumRole: 'admin', key: 'people' },
  'sso.delete': { minimumRole: 'admin', key: 'people' },
  'scim.get': { minimumRole: 'admin', key: 'people' },
  'scim.mintToken': { minimumRole: 'admin', key: 'people' },
  'scim.revokeToken': { minimumRole: 'admin', key: 'people' },
  // billing
  'billing.get': { minimumRole: 'admin', key: 'people' },
  'billing.checkout': { minimumRole: 'owner', key: 'people' },
  'billing.packCheckout': { minimumRole: 'owner', key: 'people' },
  'billing.cancel': { minimumRole: 'owner', key: 'people' },
  'billing.resume': { minimumRole: 'owner', key: 'people' },
  // projects (issue 17)
  'projects.list': { minimumRole: 'viewer', key: 'read' },
  'projects.create': { minimumRole: 'developer', key: 'project-write' },
  'projects.get': { minimumRole: 'viewer', key: 'read' },
  'projects.update': { minimumRole: 'developer', key: 'project-write' },
  'projects.delete': { minimumRole: 'admin', key: 'project-admin' },
  'projects.pause': { minimumRole: 'developer', key: 'project-write' },
  'projects.resume': { minimumRole: 'developer', key: 'project-write' },
  'projects.provisionRetry': { minimumRole: 'developer', key: 'project-write' },
  'projects.reprovisionAdmin': { minimumRole: 'admin', key: 'project-admin' },
  'projects.upgrade': { minimumRole: 'developer', key: 'project-write' },
  'backups.list': { minimumRole: 'viewer', key: 'read' },
  'backups.create': { minimumRole: 'developer', key: 'project-write' },
  'backups.restore': { minimumRole: 'admin', key: 'project-admin' },
  'projects.pitrRestore': { minimumRole: 'admin', key: 'project-admin' },
  'domains.list': { minimumRole: 'viewer', key: 'read' },
  'domains.create': { minimumRole: 'developer', key: 'project-write' },
  'domains.verify': { minimumRole: 'developer', key: 'project-write' },
  'domains.delete': { minimumRole: 'admin', key: 'project-admin' },
  'branches.list': { minimumRole: 'viewer', key: 'read' },
  'branches.create': { minimumRole: 'developer', key: 'project-write' },
  'branches.delete': { minimumRole: 'admin', key: 'project-admin' },
  'deploys.list': { minimumRole: 'viewer', key: 'read' },
  'errors.list': { minimumRole: 'viewer', key: 'read' },
  'alarms.list': { minimumRole: 'viewer', key: 'read' },
  'alarms.create': { minimumRole: 'developer', key: 'project-write' },
  'alarms.delete': { minimumRole: 'admin', key: 'project-admin' },
} as const satisfies Record<string, OrgOperation>;

export type OrgOperationName = keyof typeof ORG_OPERATIONS;

/** An org API key's scope (`ApiKeyInput.scope`). */
export const KEY_SCOPES = ['read-only', 'deploy', 'full'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

const KEY_SCOPE_REACH: Record<KeyScope, ReadonlySet<KeyAccess>> = {
  'read-only': new Set(['read']),
  deploy: new Set(['read', 'project-write']),
  full: new Set(['read', 'project-write', 'project-admin', 'write']),
};

/**
 * True when a key with `scope` and `mcpTools` may run `operation`: its scope reaches the
 * operation's key class (`people` never), and its `mcpTools` allowlist, when set, names it. The
 * allowlist narrows a scope, never widens it.
 */
export function keyMayRun(
  grant: { scope: KeyScope; mcpTools: readonly string[] | null },
  operation: OrgOperationName,
): boolean {
  if (!KEY_SCOPE_REACH[grant.scope].has(ORG_OPERATIONS[operation].key)) return false;
  return grant.mcpTools === null || grant.mcpTools.includes(operation);
}

export function isOrgOperation(name: string): name is OrgOperationName {
  return Object.hasOwn(ORG_OPERATIONS, name);
}

/** True when a member with `role` may run `operation` (the role check only; owner rules are the domain's). */
export function roleMayRun(role: Role, operation: OrgOperationName): boolean {
  return roleAtLeast(role, ORG_OPERATIONS[operation].minimumRole);
}

/**
 * The organization plugin's access control for the same four roles, so better-auth's own
 * permission checks (`hasPermission`) agree with the matrix above.
 */
export const organizationAccessControl = createAccessControl({
  ...defaultStatements,
  // @better-auth/api-key checks this statement when an org key is created for a member.
  apiKey: ['create', 'read', 'update', 'delete'],
});

export const organizationRoles = {
  owner: organizationAccessControl.newRole({
    apiKey: ['create', 'read', 'update', 'delete'],
    organization: ['update', 'delete'],
    member: ['create', 'update', 'delete'],
    invitation: ['create', 'cancel'],
    team: [],
    ac: ['read'],
  }),
  admin: organizationAccessControl.newRole({
    apiKey: ['create', 'read', 'update', 'delete'],
    organization: ['update'],
    member: ['create', 'update', 'delete'],
    invitation: ['create', 'cancel'],
    team: [],
    ac: ['read'],
  }),
  developer: organizationAccessControl.newRole({
    organization: [],
    member: [],
    invitation: [],
    team: [],
    ac: ['read'],
  }),
  viewer: organizationAccessControl.newRole({
    organization: [],
    member: [],
    invitation: [],
    team: [],
    ac: ['read'],
  }),
};
