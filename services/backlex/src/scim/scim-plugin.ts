import { scim } from '@better-auth/scim';

/** SCIM Groups whose display name is one of these set the member's role; the strongest wins. */
export const SCIM_GROUP_ROLES = ['admin', 'developer', 'viewer'] as const;
type ScimRole = (typeof SCIM_GROUP_ROLES)[number];
const STRENGTH: Record<ScimRole, number> = { admin: 3, developer: 2, viewer: 1 };

function isScimRole(value: string): value is ScimRole {
  return (SCIM_GROUP_ROLES as readonly string[]).includes(value);
}

/** The role an active provisioned user holds: the strongest mapped group, `viewer` with none. */
export function roleFromGrants(roles: readonly string[]): ScimRole {
  let best: ScimRole = 'viewer';
  for (const role of roles) if (isScimRole(role) && STRENGTH[role] > STRENGTH[best]) best = role;
  return best;
}

/**
 * `@better-auth/scim` with its managed connection catalog: one connection per org, whose
 * provisioning domain is the org id, so a token only ever sees its own org's resources. Its
 * projection keeps the org's `member` rows in step with the directory: an active User is a
 * member (role from its Groups), an inactive or deleted one is not. Owners are never touched.
 */
export function backlexScimPlugin(options: { credentialHashSecret: string }) {
  return scim({
    connections: [],
    managedConnections: { credentialHashSecret: options.credentialHashSecret, maxActiveCredentials: 2 },
    projection: {
      roles: {
        map: ({ source }) => {
          const role = source.displayName.trim().toLowerCase();
          return isScimRole(role) ? [role] : undefined;
        },
        exists: ({ role }) => isScimRole(role),
      },
      async reconcileUser(state, { database }) {
        const organizationId = state.provisioningDomainId;
        const member = (await database.findOne({
          model: 'member',
          where: [
            { field: 'organizationId', value: organizationId },
            { field: 'userId', value: state.userId },
          ],
        })) as { id: string; role: string } | null;
        if (member?.role === 'owner') return;
        if (!state.active) {
          if (member) await database.delete({ model: 'member', where: [{ field: 'id', value: member.id }] });
          return;
        }
        const role = roleFromGrants(state.grants.map((grant) => grant.role));
        if (!member) {
          await database.create({
            model: 'member',
            data: { organizationId, userId: state.userId, role, createdAt: new Date() },
          });
        } else if (member.role !== role) {
          await database.update({
            model: 'member',
            where: [{ field: 'id', value: member.id }],
            update: { role, updatedAt: new Date() },
          });
        }
      },
    },
  });
}
