import { isUniqueViolation } from '@trustplane/kernel';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { BacklexDatabase, MemberTable, OrganizationTable } from './tables.js';

export type OrgRow = Selectable<OrganizationTable>;
export type MemberRow = Selectable<MemberTable>;
export type Executor = Kysely<BacklexDatabase> | Transaction<BacklexDatabase>;

export class SlugTakenError extends Error {
  override readonly name = 'SlugTakenError';
}

export interface NewOrg {
  id: string;
  name: string;
  slug: string;
  planId: string;
  residency: string;
  defaultRegion: string;
  purpose: string | null;
  teamSize: string | null;
  createdBy: string;
}

/** The org's stored `planId` (billing's webhooks write it); pass a transaction to read it under its locks. */
export async function planIdOf(executor: Executor, organizationId: string): Promise<string | undefined> {
  const row = await executor
    .selectFrom('organization')
    .select('planId')
    .where('id', '=', organizationId)
    .executeTakeFirst();
  return row?.planId;
}

/** better-auth's `organization` table, plus the membership lookups every org route starts with. */
export function createOrgRepository(db: Kysely<BacklexDatabase>) {
  return {
    /**
     * Serializes one user's org creations until the transaction ends, so the daily count and
     * the insert cannot interleave between two parallel requests.
     */
    async lockCreator(trx: Transaction<BacklexDatabase>, userId: string): Promise<void> {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`backlex.org-create:${userId}`}, 0))`.execute(
        trx,
      );
    },
    /** Orgs `userId` created since `since` (deleted ones count too), oldest first. */
    async createdSince(trx: Executor, userId: string, since: Date): Promise<Date[]> {
      const rows = await trx
        .selectFrom('organization')
        .select('createdAt')
        .where('createdBy', '=', userId)
        .where('createdAt', '>', since)
        .orderBy('createdAt')
        .execute();
      return rows.map((row) => row.createdAt);
    },
    /** Slugs equal to `base` or `base-<n>`, taken by any org (deleted orgs keep theirs: slugs are never reused). */
    async slugsLike(trx: Executor, base: string): Promise<string[]> {
      const rows = await trx
        .selectFrom('organization')
        .select('slug')
        .where((eb) => eb.or([eb('slug', '=', base), eb('slug', 'like', `${base}-%`)]))
        .execute();
      return rows.map((row) => row.slug);
    },
    async insert(trx: Transaction<BacklexDatabase>, org: NewOrg): Promise<OrgRow> {
      try {
        return await trx
          .insertInto('organization')
          .values({ ...org, createdAt: new Date(), status: 'active', ipAllowlist: '[]' })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error, 'organization_slug_key')) throw new SlugTakenError();
        throw error;
      }
    },
    async insertMember(
      trx: Transaction<BacklexDatabase>,
      member: { id: string; organizationId: string; userId: string; role: string },
    ): Promise<MemberRow> {
      return trx
        .insertInto('member')
        .values({ ...member, createdAt: new Date(), updatedAt: null })
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /** The user's memberships of active orgs, with the org, oldest membership first. */
    async membershipsOf(userId: string): Promise<(OrgRow & { role: string })[]> {
      return db
        .selectFrom('member')
        .innerJoin('organization', 'organization.id', 'member.organizationId')
        .selectAll('organization')
        .select('member.role')
        .where('member.userId', '=', userId)
        .where('organization.status', '=', 'active')
        .orderBy('member.createdAt')
        .orderBy('organization.id')
        .execute();
    },
    /** An active org by slug with `userId`'s membership in it; undefined when either is missing. */
    async membershipBySlug(
      slug: string,
      userId: string,
    ): Promise<{ org: OrgRow; memberId: string; role: string } | undefined> {
      const row = await db
        .selectFrom('organization')
        .innerJoin('member', 'member.organizationId', 'organization.id')
        .selectAll('organization')
        .select(['member.id as memberId', 'member.role as memberRole'])
        .where('organization.slug', '=', slug)
        .where('organization.status', '=', 'active')
        .where('member.userId', '=', userId)
        .executeTakeFirst();
      if (!row) return undefined;
      const { memberId, memberRole, ...org } = row;
      return { org, memberId, role: memberRole };
    },
    /** Locks the active org's row for the transaction (settings changes, deletion); undefined once deleted. */
    lockActive(trx: Transaction<BacklexDatabase>, id: string): Promise<OrgRow | undefined> {
      return trx
        .selectFrom('organization')
        .selectAll()
        .where('id', '=', id)
        .where('status', '=', 'active')
        .forUpdate()
        .executeTakeFirst();
    },
    update(
      trx: Transaction<BacklexDatabase>,
      id: string,
      changes: { name?: string; defaultRegion?: string; ipAllowlist?: string[]; webhookUrl?: string | null },
    ): Promise<OrgRow> {
      const { ipAllowlist, ...rest } = changes;
      return trx
        .updateTable('organization')
        .set({ ...rest, ...(ipAllowlist ? { ipAllowlist: JSON.stringify(ipAllowlist) } : {}) })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    async markDeleted(trx: Transaction<BacklexDatabase>, id: string): Promise<void> {
      await trx
        .updateTable('organization')
        .set({ status: 'deleted', deletedAt: new Date(), webhookUrl: null })
        .where('id', '=', id)
        .execute();
      // Nobody joins a deleted org: its pending invitations end with it.
      await trx
        .updateTable('invitation')
        .set({ status: 'canceled' })
        .where('organizationId', '=', id)
        .where('status', '=', 'pending')
        .execute();
      // Sessions that had it active forget it.
      await trx
        .updateTable('session')
        .set({ activeOrganizationId: null })
        .where('activeOrganizationId', '=', id)
        .execute();
    },
    /** Billing's plan change (webhooks, renewals, downgrades): the org's `planId`. */
    async setPlan(trx: Transaction<BacklexDatabase>, id: string, planId: string): Promise<void> {
      await trx.updateTable('organization').set({ planId }).where('id', '=', id).execute();
    },
    /** An active org by slug (for callers that are not members: API keys, SCIM). */
    activeBySlug(slug: string): Promise<OrgRow | undefined> {
      return db
        .selectFrom('organization')
        .selectAll()
        .where('slug', '=', slug)
        .where('status', '=', 'active')
        .executeTakeFirst();
    },
  };
}

export type OrgRepository = ReturnType<typeof createOrgRepository>;
