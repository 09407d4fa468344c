import type { Kysely } from 'kysely';
import { errors } from '../errors.js';
import { isPgViolation } from '@trustplane/kernel';
import type { AccountDB, OrganizationRow } from './types.js';

/** The organizations table's own constraint violations, as field errors. */
function organizationWriteError(error: unknown): unknown {
  if (isPgViolation(error, 'uniqueViolation', 'organizations_slug_unique')) {
    return errors.VALIDATION('slug', 'is already taken; retry with another slug');
  }
  if (isPgViolation(error, 'checkViolation')) {
    return errors.VALIDATION('slug', 'must be lower-case letters, digits and single dashes');
  }
  return error;
}

export interface OrganizationPatch {
  name?: string | undefined;
  slug?: string | undefined;
  description?: string | null | undefined;
}

/** Whose organizations a listing shows: a human's memberships, or a service account's one org. */
export type OrganizationViewer = { accountId: string } | { orgId: string };

export function createOrganizationRepository(db: Kysely<AccountDB>) {
  return {
    async insert(row: {
      id: string;
      name: string;
      slug: string;
      description: string | null;
      ownerId: string;
      isPersonal: boolean;
    }): Promise<OrganizationRow> {
      try {
        return await db
          .insertInto('organizations')
          .values({
            id: row.id,
            name: row.name,
            slug: row.slug,
            description: row.description,
            owner_account_id: row.ownerId,
            is_personal: row.isPersonal,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (error) {
        throw organizationWriteError(error);
      }
    },

    findActive(id: string): Promise<OrganizationRow | undefined> {
      return db
        .selectFrom('organizations')
        .selectAll()
        .where('id', '=', id)
        .where('status', '=', 'active')
        .executeTakeFirst();
    },

    /** Undefined when the organization is gone or archived. */
    async update(id: string, patch: OrganizationPatch): Promise<OrganizationRow | undefined> {
      try {
        return await db
          .updateTable('organizations')
          .set({
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.slug !== undefined ? { slug: patch.slug } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            updated_at: new Date(),
          })
          .where('id', '=', id)
          .where('status', '=', 'active')
          .returningAll()
          .executeTakeFirst();
      } catch (error) {
        throw organizationWriteError(error);
      }
    },

    async archive(id: string): Promise<void> {
      await db
        .updateTable('organizations')
        .set({ status: 'archived', deleted_at: new Date(), updated_at: new Date() })
        .where('id', '=', id)
        .execute();
    },

    /** A page of active organizations the viewer belongs to, oldest first, with member counts. */
    async listFor(viewer: OrganizationViewer, page: number, perPage: number) {
      const base = db
        .selectFrom('organizations as o')
        .where('o.status', '=', 'active')
        .where((eb) =>
          'orgId' in viewer
            ? eb('o.id', '=', viewer.orgId)
            : eb(
                'o.id',
                'in',
                eb
                  .selectFrom('memberships')
                  .select('organization_id')
                  .where('account_id', '=', viewer.accountId),
              ),
        );
      const { total } = await base
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .executeTakeFirstOrThrow();
      const rows = await base
        .selectAll('o')
        .select((eb) =>
          eb
            .selectFrom('memberships as m')
            .select((inner) => inner.fn.countAll<number>().as('n'))
            .whereRef('m.organization_id', '=', 'o.id')
            .as('member_count'),
        )
        .orderBy('o.created_at')
        .orderBy('o.id')
        .limit(perPage)
        .offset((page - 1) * perPage)
        .execute();
      return {
        rows: rows.map(({ member_count, ...row }) => ({ row, memberCount: Number(member_count ?? 0) })),
        total: Number(total),
      };
    },
  };
}

export type OrganizationRepository = ReturnType<typeof createOrganizationRepository>;
