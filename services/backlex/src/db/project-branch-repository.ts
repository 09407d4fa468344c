import { isUniqueViolation } from '@trustplane/kernel';
import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { ProjectBranchTable } from './project-tables.js';
import type { BacklexDatabase } from './tables.js';

export type BranchRow = Selectable<ProjectBranchTable>;
type Executor = Kysely<BacklexDatabase> | Transaction<BacklexDatabase>;

/** A live branch of the project already has this name or PR number (which index said so). */
export class BranchTakenError extends Error {
  override readonly name = 'BranchTakenError';
  constructor(readonly field: 'name' | 'prNumber') {
    super(`branch ${field} taken`);
  }
}

/** `project_branches` (migrations/0060). */
export function createProjectBranchRepository(db: Kysely<BacklexDatabase>) {
  return {
    listLive(projectId: string, executor: Executor = db): Promise<BranchRow[]> {
      return executor
        .selectFrom('project_branches')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('status', '=', 'active')
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    findLiveByName(projectId: string, name: string, executor: Executor = db): Promise<BranchRow | undefined> {
      return executor
        .selectFrom('project_branches')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('name', '=', name)
        .where('status', '=', 'active')
        .executeTakeFirst();
    },
    lockLiveById(
      trx: Transaction<BacklexDatabase>,
      projectId: string,
      id: string,
    ): Promise<BranchRow | undefined> {
      return trx
        .selectFrom('project_branches')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('id', '=', id)
        .where('status', '=', 'active')
        .forUpdate()
        .executeTakeFirst();
    },
    async insert(trx: Transaction<BacklexDatabase>, row: Insertable<ProjectBranchTable>): Promise<BranchRow> {
      try {
        return await trx.insertInto('project_branches').values(row).returningAll().executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error)) {
          const constraint = (error as { constraint?: string }).constraint;
          throw new BranchTakenError(constraint === 'project_branches_live_pr' ? 'prNumber' : 'name');
        }
        throw error;
      }
    },
    async markDeleted(executor: Executor, id: string, at: Date): Promise<void> {
      await executor
        .updateTable('project_branches')
        .set({ status: 'deleted', deleted_at: at })
        .where('id', '=', id)
        .execute();
    },
    async setSize(id: string, sizeBytes: number, executor: Executor = db): Promise<void> {
      await executor
        .updateTable('project_branches')
        .set({ size_bytes: sizeBytes })
        .where('id', '=', id)
        .execute();
    },
    /** Every branch of the project still holding a file (live or deleted but not yet purged with it). */
    allOf(projectId: string, executor: Executor = db): Promise<BranchRow[]> {
      return executor
        .selectFrom('project_branches')
        .selectAll()
        .where('project_id', '=', projectId)
        .execute();
    },
  };
}

export type ProjectBranchRepository = ReturnType<typeof createProjectBranchRepository>;
