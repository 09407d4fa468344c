import type { Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { ProjectBackupTable } from './backup-tables.js';
import type { ProjectRow } from './project-repository.js';
import type { BacklexDatabase } from './tables.js';

export type BackupRow = Selectable<ProjectBackupTable>;
type Executor = Kysely<BacklexDatabase> | Transaction<BacklexDatabase>;

/** `project_backups` (migrations/0061), and the project lists the backup and retention jobs walk. */
export function createProjectBackupRepository(db: Kysely<BacklexDatabase>) {
  return {
    insert(trx: Transaction<BacklexDatabase>, row: Insertable<ProjectBackupTable>): Promise<BackupRow> {
      return trx.insertInto('project_backups').values(row).returningAll().executeTakeFirstOrThrow();
    },
    /** Newest first, at most `limit`. */
    list(projectId: string, limit: number): Promise<BackupRow[]> {
      return db
        .selectFrom('project_backups')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
    },
    byId(id: string, executor: Executor = db): Promise<BackupRow | undefined> {
      return executor.selectFrom('project_backups').selectAll().where('id', '=', id).executeTakeFirst();
    },
    lockOfProject(
      trx: Transaction<BacklexDatabase>,
      projectId: string,
      id: string,
    ): Promise<BackupRow | undefined> {
      return trx
        .selectFrom('project_backups')
        .selectAll()
        .where('id', '=', id)
        .where('project_id', '=', projectId)
        .forUpdate()
        .executeTakeFirst();
    },
    lockById(trx: Transaction<BacklexDatabase>, id: string): Promise<BackupRow | undefined> {
      return trx
        .selectFrom('project_backups')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
    },
    update(executor: Executor, id: string, changes: Updateable<ProjectBackupTable>): Promise<BackupRow> {
      return executor
        .updateTable('project_backups')
        .set(changes)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    async remove(id: string): Promise<void> {
      await db.deleteFrom('project_backups').where('id', '=', id).execute();
    },
    /** A project's `auto` backups created before `before`, oldest first. */
    autoBefore(projectId: string, before: Date, limit: number): Promise<BackupRow[]> {
      return db
        .selectFrom('project_backups')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('kind', '=', 'auto')
        .where('created_at', '<', before)
        .orderBy('created_at')
        .limit(limit)
        .execute();
    },
    /** Every backup of a project (its purge removes their objects). */
    allOf(projectId: string): Promise<BackupRow[]> {
      return db.selectFrom('project_backups').selectAll().where('project_id', '=', projectId).execute();
    },
    /** When the project's newest `auto` backup was created (null: none). */
    async lastAutoAt(projectId: string): Promise<Date | null> {
      const row = await db
        .selectFrom('project_backups')
        .select('created_at')
        .where('project_id', '=', projectId)
        .where('kind', '=', 'auto')
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row?.created_at ?? null;
    },
    /** Projects whose file takes writes or may again: `active` and `paused`, oldest first, after `afterId`. */
    liveWithFiles(afterId: string | null, limit: number): Promise<ProjectRow[]> {
      let query = db
        .selectFrom('projects')
        .selectAll()
        .where('status', 'in', ['active', 'paused'])
        .orderBy('id')
        .limit(limit);
      if (afterId !== null) query = query.where('id', '>', afterId);
      return query.execute();
    },
    /** Ids of a project's live branches (their files have histories too). */
    async liveBranchIds(projectId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('project_branches')
        .select('id')
        .where('project_id', '=', projectId)
        .where('status', '=', 'active')
        .execute();
      return rows.map((row) => row.id);
    },
  };
}

export type ProjectBackupRepository = ReturnType<typeof createProjectBackupRepository>;
