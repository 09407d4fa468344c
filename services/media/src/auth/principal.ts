/** The caller, as the account service's access token describes it. */
export interface Principal {
  /** `sub`: the account id. */
  accountId: string;
  /** `org_id`: the organization the token is bound to (optional for service principals). */
  orgId: string | null;
  permissions: ReadonlySet<string>;
  principalType: 'human' | 'service';
}

export const MEDIA_PERMISSIONS = [
  'media:upload',
  'media:download',
  'media:list',
  'media:update',
  'media:delete',
  'folder:create',
  'folder:list',
  'folder:update',
  'folder:delete',
] as const;
export type MediaPermission = (typeof MEDIA_PERMISSIONS)[number];

/** `*` is carried by verified human tokens and the owner role: it grants every permission. */
export function hasPermission(principal: Principal, permission: MediaPermission): boolean {
  return principal.permissions.has('*') || principal.permissions.has(permission);
}
