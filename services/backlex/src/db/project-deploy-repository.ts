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
