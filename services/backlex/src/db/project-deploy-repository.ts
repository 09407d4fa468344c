import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import { newId } from './ids.js';
import type { ProjectDeployTable } from './project-tables.js';
import type { BacklexDatabase } from './tables.js';

export type DeployRow = Selectable<ProjectDeployTable>;
type Executor = Kysely<BacklexDatabase> | Transaction<BacklexDatabase>;

/** `project_deploys` (migrations/0060): the rollout log. */
export function createProjectDeployRepository(db: Kysely<BacklexDatabase>) {
  return {
    async record(executor: Executor, row: Omit<Insertable<ProjectDeployTable>, 'id'>): Promise<DeployRow> {
      return executor
        .insertInto('project_deploys')
        .values({ id: newId('dep'), ...row })
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /**
     * The project's template version as of `at` by the rollout log: what the newest succeeded
     * provision, upgrade or restore of the project itself (not a branch) at or before `at` left it
     * at; null when none had (the file was not provisioned yet). For states of a file that do not
     * record their version (made before migration 0081).
     */
    async versionAt(executor: Executor, projectId: string, at: Date): Promise<number | null> {
      const row = await executor
        .selectFrom('project_deploys')
        .select('to_version')
        .where('project_id', '=', projectId)
        .where('branch_id', 'is', null)
        .where('status', '=', 'succeeded')
        .where('kind', 'in', ['provision', 'upgrade', 'restore'])
        .where('created_at', '<=', at)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row?.to_version ?? null;
    },
    /** Newest first, at most `limit`. */
    list(projectId: string, limit: number): Promise<DeployRow[]> {
      return db
        .selectFrom('project_deploys')
        .selectAll()
        .where('project_id', '=', projectId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
    },
  };
}

export type ProjectDeployRepository = ReturnType<typeof createProjectDeployRepository>;
