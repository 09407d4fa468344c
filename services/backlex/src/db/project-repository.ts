import { isUniqueViolation } from '@trustplane/kernel';
import {
  type Insertable,
  type Kysely,
  type Selectable,
  sql,
  type Transaction,
  type Updateable,
} from 'kysely';
import type { ProjectTable } from './project-tables.js';
import type { BacklexDatabase } from './tables.js';

export type ProjectRow = Selectable<ProjectTable>;
type Executor = Kysely<BacklexDatabase> | Transaction<BacklexDatabase>;

/** The slug is taken by a live project of the org (the partial unique index said so). */
export class ProjectSlugTakenError extends Error {
  override readonly name = 'ProjectSlugTakenError';
}

/** `projects` (migrations/0060). Deleted rows stay for usage history; "live" = not deleted. */
export function createProjectRepository(db: Kysely<BacklexDatabase>) {
  return {
    /** Serializes project creations of one org until the transaction ends (the plan count and the insert). */
    async lockOrgProjects(trx: Transaction<BacklexDatabase>, orgId: string): Promise<void> {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`backlex.projects:${orgId}`}, 0))`.execute(
        trx,
      );
    },
    async countLive(trx: Executor, orgId: string): Promise<number> {
      const row = await trx
        .selectFrom('projects')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('org_id', '=', orgId)
        .where('status', '<>', 'deleted')
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
    /** Live slugs equal to `base` or `base-<n>` in the org. */
    async liveSlugsLike(trx: Executor, orgId: string, base: string): Promise<string[]> {
      const rows = await trx
        .selectFrom('projects')
        .select('slug')
        .where('org_id', '=', orgId)
        .where('status', '<>', 'deleted')
        .where((eb) => eb.or([eb('slug', '=', base), eb('slug', 'like', `${base}-%`)]))
        .execute();
      return rows.map((row) => row.slug);
    },
    async insert(trx: Transaction<BacklexDatabase>, row: Insertable<ProjectTable>): Promise<ProjectRow> {
      try {
        return await trx.insertInto('projects').values(row).returningAll().executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error)) throw new ProjectSlugTakenError(row.slug);
        throw error;
      }
    },
    list(orgId: string): Promise<ProjectRow[]> {
      return db
        .selectFrom('projects')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('status', '<>', 'deleted')
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    /** The org's live projects, oldest first, locked until the transaction ends. */
    lockLiveOfOrg(trx: Transaction<BacklexDatabase>, orgId: string): Promise<ProjectRow[]> {
      return trx
        .selectFrom('projects')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('status', '<>', 'deleted')
        .orderBy('created_at')
        .orderBy('id')
        .forUpdate()
        .execute();
    },
    findLive(orgId: string, slug: string, executor: Executor = db): Promise<ProjectRow | undefined> {
      return executor
        .selectFrom('projects')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('slug', '=', slug)
        .where('status', '<>', 'deleted')
        .executeTakeFirst();
    },
    /** The live project `{slug}` of the org, locked until the transaction ends. */
    lockLive(
      trx: Transaction<BacklexDatabase>,
      orgId: string,
      slug: string,
    ): Promise<ProjectRow | undefined> {
      return trx
        .selectFrom('projects')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('slug', '=', slug)
        .where('status', '<>', 'deleted')
        .forUpdate()
        .executeTakeFirst();
    },
    byId(id: string, executor: Executor = db): Promise<ProjectRow | undefined> {
      return executor.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
    },
    lockById(trx: Transaction<BacklexDatabase>, id: string): Promise<ProjectRow | undefined> {
      return trx.selectFrom('projects').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    },
    /**
     * `FOR KEY SHARE`: waits for, and holds off, every change made under `lockById`/`lockLive`
     * (upgrades, restores, lifecycle changes), not plain column updates (sizes).
     */
    keyShareById(trx: Transaction<BacklexDatabase>, id: string): Promise<ProjectRow | undefined> {
      return trx.selectFrom('projects').selectAll().where('id', '=', id).forKeyShare().executeTakeFirst();
    },
    async update(
      executor: Executor,
      id: string,
      patch: Omit<Updateable<ProjectTable>, 'id' | 'org_id' | 'updated_at'>,
    ): Promise<ProjectRow> {
      return executor
        .updateTable('projects')
        .set({ ...patch, updated_at: new Date() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    async setSize(id: string, sizeBytes: number): Promise<void> {
      await db.updateTable('projects').set({ size_bytes: sizeBytes }).where('id', '=', id).execute();
    },
    /** Soft-deletes every live project of the org (the org is being deleted); their ids. */
    async deleteAllOfOrg(trx: Transaction<BacklexDatabase>, orgId: string, at: Date): Promise<string[]> {
      const rows = await trx
        .updateTable('projects')
        .set({ status: 'deleted', deleted_at: at, updated_at: at })
        .where('org_id', '=', orgId)
        .where('status', '<>', 'deleted')
        .returning('id')
        .execute();
      return rows.map((row) => row.id);
    },
    async markPurged(id: string, at: Date): Promise<void> {
      await db.updateTable('projects').set({ purged_at: at }).where('id', '=', id).execute();
    },
    /** Deleted projects whose files are still on disk and were deleted before `before`. */
    dueForPurge(before: Date, limit: number): Promise<ProjectRow[]> {
      return db
        .selectFrom('projects')
        .selectAll()
        .where('status', '=', 'deleted')
        .where('purged_at', 'is', null)
        .where('deleted_at', '<', before)
        .orderBy('deleted_at')
        .limit(limit)
        .execute();
    },
  };
}

export type ProjectRepository = ReturnType<typeof createProjectRepository>;
