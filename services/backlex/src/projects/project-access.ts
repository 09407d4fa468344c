import { NotifiedCache } from '@trustplane/kernel';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { BranchRow, ProjectBranchRepository } from '../db/project-branch-repository.js';
import type { ProjectRepository, ProjectRow } from '../db/project-repository.js';

/** Sent by the triggers of migrations/0075 with the project id as payload. */
export const PROJECT_ACCESS_CHANNEL = 'backlex_project_access';

/** What the data API needs of a project: only columns whose every change is notified (or never change). */
export type AccessProject = Pick<ProjectRow, 'id' | 'org_id' | 'slug' | 'status' | 'admin_token_hash'>;
export type AccessBranch = Pick<BranchRow, 'id' | 'name'>;

export interface ProjectAccessState {
  project: AccessProject;
  /** The live branches by name. */
  branches: ReadonlyMap<string, AccessBranch>;
}

export interface ProjectAccess {
  /** The project's access state (memory when held, else PostgreSQL); undefined = no such project. */
  get(projectId: string): Promise<ProjectAccessState | undefined>;
  /**
   * After a commit that changed projects' status, token or branches: dropped here at once, and
   * resolved once the commit's NOTIFYs have reached this process (see `NotifiedCache.changed`).
   */
  changed(projectIds: string | string[]): Promise<void>;
  /**
   * Inside a transaction of another area (whose commit this code does not see): the state is read
   * from PostgreSQL, not kept, until the commit's NOTIFY arrives.
   */
  invalidate(projectIds: string | string[]): void;
  /** Whether the state is held in memory (tests). */
  cached(projectId: string): boolean;
  /** LISTENs now (else on the first `get`, which then reads PostgreSQL until it listens). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** States that last: a `provisioning` or `failed` project is read from PostgreSQL each time. */
const KEPT = new Set(['active', 'paused', 'deleted']);

/**
 * The data API's per-project access state, held in process memory and dropped on PostgreSQL's
 * NOTIFY (the kernel `NotifiedCache`): a request that hits it reads nothing from PostgreSQL.
 */
export function createProjectAccess(deps: {
  pool: pg.Pool;
  logger: Logger;
  projects: ProjectRepository;
  branches: ProjectBranchRepository;
}): ProjectAccess {
  const cache = new NotifiedCache<ProjectAccessState>({
    pool: deps.pool,
    channel: PROJECT_ACCESS_CHANNEL,
    logger: deps.logger,
    keep: (state) => KEPT.has(state.project.status),
    async load(projectId) {
      const row = await deps.projects.byId(projectId);
      if (!row) return undefined;
      const project: AccessProject = {
        id: row.id,
        org_id: row.org_id,
        slug: row.slug,
        status: row.status,
        admin_token_hash: row.admin_token_hash,
      };
      const live = row.status === 'deleted' ? [] : await deps.branches.listLive(row.id);
      return {
        project,
        branches: new Map(live.map((branch) => [branch.name, { id: branch.id, name: branch.name }])),
      };
    },
  });
  const list = (ids: string | string[]) => (typeof ids === 'string' ? [ids] : ids);
  return {
    get: (projectId) => cache.get(projectId),
    changed: (projectIds) => cache.changed(list(projectIds)),
    invalidate: (projectIds) => {
      for (const id of list(projectIds)) cache.invalidate(id, { untilNotified: true });
    },
    cached: (projectId) => cache.has(projectId),
    start: () => cache.start(),
    stop: () => cache.stop(),
  };
}
