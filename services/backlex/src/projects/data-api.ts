import type { ProjectBranchRepository } from '../db/project-branch-repository.js';
import type { ProjectErrorRepository } from '../db/project-error-repository.js';
import type { ProjectRepository } from '../db/project-repository.js';
import { errors } from '../errors.js';
import { adminTokenMatchesCached } from './admin-token.js';
import type { AccessBranch, AccessProject, ProjectAccess } from './project-access.js';
import type { ProjectDatabases, Statement, StatementResult } from './project-databases.js';
import { errorFingerprint, normalizeSql } from './sql-fingerprint.js';
import type { UsageGate } from '../usage/usage-gate.js';

export type DataApiBody = { sql: string; params?: Statement['params'] } | { batch: Statement[] };

export interface DataApiDeps {
  projects: ProjectRepository;
  branches: ProjectBranchRepository;
  errors: ProjectErrorRepository;
  databases: ProjectDatabases;
  /** Status, token hash and live branches per project, from memory (dropped on NOTIFY). */
  access: ProjectAccess;
  /** Usage (h17-usage, `src/usage/usage-gate.ts`): counts requests, enforces the org's allowances. */
  usage: Pick<UsageGate, 'admit' | 'changed'>;
  logWarning(message: string, fields: Record<string, unknown>): void;
}

/** What the database hosts report (`DatabaseHostError`: `code`, `message`, `details`). */
interface HostFailure {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

function hostFailure(error: unknown): HostFailure | undefined {
  if (!(error instanceof Error) || error.name !== 'DatabaseHostError') return undefined;
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' ? (error as Error & HostFailure) : undefined;
}

/**
 * The answer to a host failure a client caused, and the kind it is grouped under in the errors
 * view; undefined for a failure that is ours (a 500).
 */
function clientFailure(failure: HostFailure): { kind: string; error: Error } | undefined {
  const index = typeof failure.details?.index === 'number' ? { index: failure.details.index } : {};
  const details = { details: { reason: failure.message, ...index } };
  switch (failure.code) {
    case 'SQL_ERROR':
      return { kind: 'SQL_ERROR', error: errors.SQL_ERROR({ message: failure.message, details }) };
    case 'EMPTY_STATEMENT':
    case 'MULTIPLE_STATEMENTS':
    case 'INVALID_PARAMS':
    case 'INVALID_REQUEST':
      return { kind: failure.code, error: errors.BAD_REQUEST({ message: failure.message, details }) };
    case 'FORBIDDEN_STATEMENT':
      return { kind: 'STATEMENT_FORBIDDEN', error: errors.STATEMENT_FORBIDDEN({ details }) };
    case 'RESULT_TOO_LARGE':
      return { kind: 'RESULT_TOO_LARGE', error: errors.RESULT_TOO_LARGE({ details }) };
    case 'STATEMENT_TIMEOUT':
      return { kind: 'STATEMENT_TIMEOUT', error: errors.STATEMENT_TIMEOUT({ details }) };
    case 'HOST_RESTARTED':
      return { kind: 'HOST_RESTARTED', error: errors.DATABASE_RESTARTED() };
    case 'HISTORY_UNAVAILABLE':
      return { kind: 'HISTORY_UNAVAILABLE', error: errors.HISTORY_UNAVAILABLE() };
    case 'READ_ONLY':
      return { kind: 'STORAGE_READ_ONLY', error: errors.STORAGE_READ_ONLY({ details }) };
    default:
      return undefined;
  }
}

/** Statements with no result columns, or that changed rows, may have grown the file. */
function mayHaveWritten(results: StatementResult[]): boolean {
  return results.some((result) => result.columns.length === 0 || result.rowsAffected > 0);
}

/**
 * The data API (`POST /api/db/{projectId}/query`, `…/branches/{name}/query`): the project's admin
 * token opens its project and the project's branches, nothing else. One statement (`sql`,
 * `params`) or a `batch` run in one transaction; the hosts enforce one statement per item, the
 * forbidden statements, the row/byte caps and the time limit. Failures a client caused are
 * recorded (kind + normalized SQL, never parameters) for the errors view.
 */
export function createDataApi(deps: DataApiDeps) {
  async function record(
    project: AccessProject,
    branch: AccessBranch | undefined,
    kind: string,
    sql: string,
    message: string,
  ) {
    const normalized = normalizeSql(sql);
    try {
      await deps.errors.record({
        projectId: project.id,
        fingerprint: errorFingerprint(kind, normalized),
        kind,
        sql: normalized,
        message: message.slice(0, 1000),
        branch: branch?.name ?? null,
      });
    } catch (error) {
      deps.logWarning('backlex: could not record a data-API error', {
        projectId: project.id,
        error: String(error),
      });
    }
  }

  function refreshSize(project: AccessProject, branch: AccessBranch | undefined) {
    const id = branch?.id ?? project.id;
    void deps.databases
      .sizeBytes(id)
      .then((size) =>
        branch ? deps.branches.setSize(branch.id, size) : deps.projects.setSize(project.id, size),
      )
      .catch((error: unknown) =>
        deps.logWarning('backlex: could not refresh a database size', {
          databaseId: id,
          error: String(error),
        }),
      );
  }

  return {
    async query(
      projectId: string,
      token: string | undefined,
      branchName: string | undefined,
      body: DataApiBody,
    ): Promise<{ results: StatementResult[] }> {
      const state = await deps.access.get(projectId);
      const project = state?.project;
      if (!state || !project || project.status === 'deleted') throw errors.NOT_FOUND();
      if (token === undefined || !adminTokenMatchesCached(token, project.admin_token_hash)) {
        throw errors.UNAUTHORIZED('A valid project admin token is required (Authorization: Bearer bxk_…)');
      }
      if (project.status === 'paused') throw errors.PROJECT_PAUSED();
      if (project.status !== 'active') throw errors.PROJECT_NOT_READY(project.status);
      let branch: AccessBranch | undefined;
      if (branchName !== undefined) {
        branch = state.branches.get(branchName);
        if (!branch) throw errors.NOT_FOUND();
      }
      const readOnly = await deps.usage.admit(project.org_id, project.id); // 429 over the request allowance; counts it
      const batch = 'batch' in body;
      const statements = batch ? body.batch : [{ sql: body.sql, params: body.params }];
      let results: StatementResult[];
      try {
        results = await deps.databases.execute(branch?.id ?? project.id, {
          statements,
          transaction: batch,
          readOnly,
        });
      } catch (error) {
        const failure = hostFailure(error);
        const answer = failure ? clientFailure(failure) : undefined;
        if (!failure || !answer) throw error;
        const index = typeof failure.details?.index === 'number' ? failure.details.index : 0;
        await record(
          project,
          branch,
          answer.kind,
          statements[index]?.sql ?? statements[0]?.sql ?? '',
          failure.message,
        );
        throw answer.error;
      }
      if (mayHaveWritten(results)) {
        refreshSize(project, branch);
        deps.usage.changed(project.id);
      }
      return { results };
    },
  };
}

export type DataApi = ReturnType<typeof createDataApi>;
