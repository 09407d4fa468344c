import { type Kysely, type Selectable, sql } from 'kysely';
import { newId } from './ids.js';
import type { ProjectErrorTable } from './project-tables.js';
import type { BacklexDatabase } from './tables.js';

export type ProjectErrorRow = Selectable<ProjectErrorTable>;

/** `project_errors` (migrations/0060): data-API failures grouped by fingerprint. */
export function createProjectErrorRepository(db: Kysely<BacklexDatabase>) {
  return {
    /** Counts one occurrence: a new group, or `count + 1` and the newest message on an existing one. */
    async record(entry: {
      projectId: string;
      fingerprint: string;
      kind: string;
      sql: string;
      message: string;
      branch: string | null;
    }): Promise<void> {
      await db
        .insertInto('project_errors')
        .values({
          id: newId('err'),
          project_id: entry.projectId,
          fingerprint: entry.fingerprint,
          kind: entry.kind,
          sql: entry.sql,
          message: entry.message,
          branch: entry.branch,
        })
        .onConflict((conflict) =>
          conflict.columns(['project_id', 'fingerprint']).doUpdateSet({
            count: sql`project_errors.count + 1`,
            message: entry.message,
            branch: entry.branch,
            last_seen_at: new Date(),
          }),
        )
        .execute();
    },
    list(projectId: string, limit: number): Promise<ProjectErrorRow[]> {
      return db
        .selectFrom('project_errors')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('last_seen_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
    },
  };
}

export type ProjectErrorRepository = ReturnType<typeof createProjectErrorRepository>;
