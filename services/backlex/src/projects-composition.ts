import path from 'node:path';
import { historyRecorderModule } from '@trustplane/database-host';
import { type AnyJobDefinition, perContext, type ServiceContext } from '@trustplane/kernel';
import { createAuditLog } from './audit/audit.js';
import { createAuditRepository } from './db/audit-repository.js';
import { createProjectBackupRepository } from './db/project-backup-repository.js';
import { createProjectBranchRepository } from './db/project-branch-repository.js';
import { createProjectDeployRepository } from './db/project-deploy-repository.js';
import { createProjectErrorRepository } from './db/project-error-repository.js';
import { createProjectRepository } from './db/project-repository.js';
import type { BacklexDatabase } from './db/tables.js';
import { backlexEvents } from './events-composition.js';
import { dailyBackupsJob, historyRetentionJob, runBackupJob } from './jobs/backups.js';
import { provisionProjectJob, purgeDeletedProjectsJob } from './jobs/provision-project.js';
import { type Backups, createBackups } from './projects/backups.js';
import { createBranches } from './projects/branches.js';
import { createDataApi } from './projects/data-api.js';
import { createHostDatabases } from './projects/host-databases.js';
import { createProjectAccess } from './projects/project-access.js';
import type { ProjectDatabases } from './projects/project-databases.js';
import { createProjectHistory, historySettings, scratchDirectory } from './projects/project-history.js';
import { createPointInTime } from './projects/point-in-time.js';
import { createProjects } from './projects/projects.js';
import { createProvisioning, type Provisioning } from './projects/provisioning.js';
import { createTemplateRegistry } from './projects/templates.js';
import { backlexUsage } from './usage-composition.js';

/** `<data dir>/backlex/databases`: one SQLite file (and WAL) per project and per branch. */
export function databasesDirectory(context: ServiceContext): string {
  return path.join(context.config.dataDir, 'backlex', 'databases');
}

/**
 * Projects (issue 17): repositories, the template registry, the database hosts, the lifecycle,
 * branches, the data API and their jobs. One set per context, shared by the HTTP app, the job
 * definitions and the workers (one set of host processes per service process).
 */
export function createBacklexProjects(context: ServiceContext, databases?: ProjectDatabases) {
  const database = context.database<BacklexDatabase>();
  const db = database.kysely;
  const transaction = database.transaction;
  const events = backlexEvents(context).events;
  const audit = createAuditLog(createAuditRepository(db));
  const repositories = {
    projects: createProjectRepository(db),
    branches: createProjectBranchRepository(db),
    deploys: createProjectDeployRepository(db),
    errors: createProjectErrorRepository(db),
  };
  // The data API's access state per project, in memory, dropped on NOTIFY (migrations/0075).
  const access = createProjectAccess({
    pool: database.pool,
    logger: context.logger,
    projects: repositories.projects,
    branches: repositories.branches,
  });
  context.onClose(() => access.stop());
  const templates = createTemplateRegistry();
  const settings = historySettings(context);
  const history = { settings, ...createProjectHistory(settings, context.objects) };
  const backupRepository = createProjectBackupRepository(db);
  let hosts: ProjectDatabases | undefined = databases;
  /** The host processes start on first use: a process that never touches a project file spawns none. */
  const files: ProjectDatabases = new Proxy({} as ProjectDatabases, {
    get(_target, property: keyof ProjectDatabases) {
      if (!hosts) {
        hosts = createHostDatabases({
          directory: databasesDirectory(context),
          env: context.env,
          logger: context.logger,
          // Point-in-time history of every project and branch file (README, "Backups and
          // point-in-time restore").
          recorder: historyRecorderModule(history.settings),
        });
        const started = hosts;
        context.onClose(() => started.close());
      }
      const value = hosts[property];
      return typeof value === 'function' ? value.bind(hosts) : value;
    },
  });
  const logWarning = (message: string, fields: Record<string, unknown>) =>
    context.logger.warn(fields, message);
  let provisioning: Provisioning | undefined;
  let backups: Backups | undefined;
  const jobs = {
    provision: provisionProjectJob(() => provisioning as Provisioning),
    purge: purgeDeletedProjectsJob(() => provisioning as Provisioning),
    runBackup: runBackupJob(() => backups as Backups),
    dailyBackups: dailyBackupsJob(() => backups as Backups),
    historyRetention: historyRetentionJob(() => backups as Backups),
  };
  backups = createBackups({
    projects: repositories.projects,
    backups: backupRepository,
    deploys: repositories.deploys,
    databases: files,
    store: context.objects,
    scratchDir: scratchDirectory(context),
    audit,
    events,
    transaction,
    sendBackup: async (trx, backupId) => {
      await context.jobs.send(jobs.runBackup, { backupId }, { transaction: trx });
    },
    storedObjects: backlexUsage(context).storedObjects,
  });
  provisioning = createProvisioning({
    ...repositories,
    templates,
    databases: files,
    audit,
    events,
    transaction,
    history: {
      purge: (databaseId) => history.purge(databaseId),
      onPurged: (projectId) => (backups as Backups).purgeOf(projectId),
    },
  });
  return {
    repositories,
    access,
    templates,
    databases: files,
    provisioning,
    jobs,
    jobDefinitions: [
      jobs.provision,
      jobs.purge,
      jobs.runBackup,
      jobs.dailyBackups,
      jobs.historyRetention,
    ] as AnyJobDefinition[],
    history,
    backups,
    pointInTime: createPointInTime({
      projects: repositories.projects,
      deploys: repositories.deploys,
      databases: files,
      history,
      scratchDir: scratchDirectory(context),
      audit,
      events,
      transaction,
    }),
    projects: createProjects({
      projects: repositories.projects,
      deploys: repositories.deploys,
      errors: repositories.errors,
      templates,
      databases: files,
      audit,
      events,
      transaction,
      access,
      sendProvision: async (trx, projectId) => {
        await context.jobs.send(jobs.provision, { projectId }, { transaction: trx });
      },
    }),
    branches: createBranches({
      ...repositories,
      databases: files,
      audit,
      events,
      transaction,
      access,
      logWarning,
    }),
    dataApi: createDataApi({
      ...repositories,
      databases: files,
      access,
      logWarning,
      usage: backlexUsage(context).gate,
    }),
  };
}

export type BacklexProjects = ReturnType<typeof createBacklexProjects>;

export const backlexProjects: (context: ServiceContext) => BacklexProjects = perContext((context) =>
  createBacklexProjects(context),
);
