import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import type { ProjectBranchRepository } from '../db/project-branch-repository.js';
import type { ProjectDeployRepository } from '../db/project-deploy-repository.js';
import type { ProjectRepository, ProjectRow } from '../db/project-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import type { EventPublisher } from '../events/publish-event.js';
import type { ProjectDatabases } from './project-databases.js';
import type { TemplateRegistry } from './templates.js';

/** Steps of a provisioning run, named for the crash tests (`faults`). */
export type ProvisionStep = 'file-created' | 'template-applied';

export interface ProvisioningDeps {
  projects: ProjectRepository;
  branches: ProjectBranchRepository;
  deploys: ProjectDeployRepository;
  templates: TemplateRegistry;
  databases: ProjectDatabases;
  audit: AuditLog;
  events: EventPublisher;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
  /** Point-in-time history and backups of the files (h17-backups): removed with the files. */
  history?: {
    /** Deletes a removed file's history (spool and objects). */
    purge(databaseId: string): Promise<void>;
    /** After a project's files are purged: its backups go too. */
    onPurged(projectId: string): Promise<void>;
  };
}

const systemActor = { type: 'system' as const, id: null, label: 'provisioning' };

/**
 * The provisioning job's work and the purge of deleted projects' files.
 *
 * Provisioning is idempotent after a crash at any step: nobody can have written to a
 * `provisioning` project's file (its data API answers 409), so each run starts from a fresh file,
 * applies the template in one SQLite transaction, then marks the project `active` in one
 * PostgreSQL transaction with its deploy row, audit row and event. A run that dies before that
 * commit leaves the project `provisioning` and pg-boss retries it; the retry recreates the file.
 */
export function createProvisioning(deps: ProvisioningDeps) {
  /** Test seam: called after each step; a throw there is a crash between steps. */
  let faults: ((step: ProvisionStep, projectId: string) => void | Promise<void>) | undefined;

  async function finish(
    projectId: string,
    change: (trx: Transaction<BacklexDatabase>, project: ProjectRow) => Promise<void>,
  ): Promise<void> {
    await deps.transaction(async (trx) => {
      const project = await deps.projects.lockById(trx, projectId);
      // Deleted (or already settled) meanwhile: nothing to record; the purge removes the file.
      if (project?.status !== 'provisioning') return;
      await change(trx, project);
    });
  }

  return {
    setFaults(hook: typeof faults) {
      faults = hook;
    },

    /**
     * One provisioning attempt. `lastAttempt`: a failure is final (the project becomes `failed`
     * with `provisionError`); before that, a failure is thrown for pg-boss to retry.
     */
    async provision(
      projectId: string,
      { lastAttempt }: { lastAttempt: boolean },
    ): Promise<'active' | 'failed' | 'skipped'> {
      const project = await deps.projects.byId(projectId);
      if (project?.status !== 'provisioning') return 'skipped';
      const target = project.template_target_version;
      try {
        await deps.databases.remove(projectId);
        // A retry starts a fresh file: the history of an earlier attempt's file goes with it.
        await deps.history?.purge(projectId);
        await deps.databases.create(projectId);
        await faults?.('file-created', projectId);
        const statements = deps.templates.migrations(project.template, 0, target).map((sql) => ({ sql }));
        if (statements.length > 0) await deps.databases.execute(projectId, { statements, transaction: true });
        // The base snapshot of the history: the template applied, checkpointed.
        await deps.databases.checkpoint(projectId);
        await faults?.('template-applied', projectId);
        const sizeBytes = await deps.databases.sizeBytes(projectId);
        let settled = false;
        await finish(projectId, async (trx, locked) => {
          const active = await deps.projects.update(trx, locked.id, {
            status: 'active',
            template_version: target,
            provision_error: null,
            size_bytes: sizeBytes,
          });
          await deps.deploys.record(trx, {
            project_id: locked.id,
            kind: 'provision',
            status: 'succeeded',
            template: locked.template,
            from_version: null,
            to_version: target,
          });
          await deps.audit.record(trx, {
            organizationId: locked.org_id,
            actor: systemActor,
            action: 'project.provisioned',
            target: { type: 'project', id: locked.id },
            data: { slug: locked.slug, template: `${locked.template}@${target}` },
          });
          await deps.events.publish(trx, locked.org_id, 'project.provisioned', {
            projectId: active.id,
            projectSlug: active.slug,
            actorId: null,
          });
          settled = true;
        });
        return settled ? 'active' : 'skipped';
      } catch (error) {
        if (!lastAttempt) throw error;
        const message = (error instanceof Error ? error.message : String(error)) || 'provisioning failed';
        await finish(projectId, async (trx, locked) => {
          await deps.projects.update(trx, locked.id, { status: 'failed', provision_error: message });
          await deps.deploys.record(trx, {
            project_id: locked.id,
            kind: 'provision',
            status: 'failed',
            template: locked.template,
            from_version: null,
            to_version: target,
            error: message,
          });
          await deps.audit.record(trx, {
            organizationId: locked.org_id,
            actor: systemActor,
            action: 'project.provision_failed',
            target: { type: 'project', id: locked.id },
            data: { slug: locked.slug, error: message },
          });
          await deps.events.publish(trx, locked.org_id, 'project.provision_failed', {
            projectId: locked.id,
            projectSlug: locked.slug,
            actorId: null,
            error: message,
          });
        });
        return 'failed';
      }
    },

    /**
     * Removes the files (project and branches) of projects deleted before `now − graceDays`, and
     * marks them purged. `now` is the caller's clock (the scheduled job passes the time it runs).
     */
    async purgeDeleted(now: Date, graceDays = 7): Promise<string[]> {
      const before = new Date(now.getTime() - graceDays * 24 * 60 * 60 * 1000);
      const purged: string[] = [];
      for (const project of await deps.projects.dueForPurge(before, 100)) {
        for (const branch of await deps.branches.allOf(project.id)) {
          await deps.databases.remove(branch.id);
          await deps.history?.purge(branch.id);
        }
        await deps.databases.remove(project.id);
        await deps.history?.purge(project.id);
        await deps.history?.onPurged(project.id);
        await deps.projects.markPurged(project.id, now);
        purged.push(project.id);
      }
      return purged;
    },
  };
}

export type Provisioning = ReturnType<typeof createProvisioning>;
