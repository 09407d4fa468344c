import { scim } from '@better-auth/scim';
import type { ScimMemberChange } from '../audit/plugin-membership-audit.js';

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
export function backlexScimPlugin(options: {
  credentialHashSecret: string;
  /** Each member change, right after the write, in the plugin's transaction (audit + event). */
  onMemberChange?: (change: ScimMemberChange) => Promise<void>;
}) {
  const changed = (change: ScimMemberChange) => options.onMemberChange?.(change);
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
        const subject = { organizationId, userId: state.userId };
        if (!state.active) {
          if (member) {
            await database.delete({ model: 'member', where: [{ field: 'id', value: member.id }] });
            await changed({ kind: 'removed', ...subject, memberId: member.id, role: member.role });
          }
          return;
        }
        const role = roleFromGrants(state.grants.map((grant) => grant.role));
        if (!member) {
          const created = (await database.create({
            model: 'member',
            data: { organizationId, userId: state.userId, role, createdAt: new Date() },
          })) as { id: string };
          await changed({ kind: 'joined', ...subject, memberId: created.id, role });
        } else if (member.role !== role) {
          await database.update({
            model: 'member',
            where: [{ field: 'id', value: member.id }],
            update: { role, updatedAt: new Date() },
          });
          await changed({
            kind: 'role_changed',
            ...subject,
            memberId: member.id,
            from: member.role,
            to: role,
          });
        }
      },
    },
  });
}
