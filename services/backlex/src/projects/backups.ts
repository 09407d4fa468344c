import fs from 'node:fs';
import path from 'node:path';
import type { ObjectStore } from '@trustplane/kernel';
import { BackupCorruptError, restoreBackup, storeBackup } from '@trustplane/sqlite-history';
import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import { auditActor, type OrgAccess } from '../auth/principal.js';
import { currentPlanOf } from '../billing/plan-catalogue.js';
import type { BackupKind } from '../db/backup-tables.js';
import { newId } from '../db/ids.js';
import type { BackupRow, ProjectBackupRepository } from '../db/project-backup-repository.js';
import type { ProjectDeployRepository } from '../db/project-deploy-repository.js';
import type { ProjectRepository, ProjectRow } from '../db/project-repository.js';
import type { ProjectStatus } from '../db/project-tables.js';
import type { BacklexDatabase } from '../db/tables.js';
import { errors } from '../errors.js';
import type { EventPublisher } from '../events/publish-event.js';
import type { ProjectDatabases } from './project-databases.js';
import type { StoredObjectLedger } from '../usage/stored-object-ledger.js';

export interface BackupsDeps {
  projects: ProjectRepository;
  backups: ProjectBackupRepository;
  deploys: ProjectDeployRepository;
  databases: ProjectDatabases;
  /** backlex's kernel object store: backups are `backups/<projectId>/<backupId>.sqlite`. */
  store: ObjectStore;
  /** Where copies and downloads wait (same file system as the databases, so swaps are renames). */
  scratchDir: string;
  audit: AuditLog;
  events: EventPublisher;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
  /** Sends the backup job in the caller's transaction. */
  sendBackup(trx: Transaction<BacklexDatabase>, backupId: string): Promise<void>;
  /** Usage's r2 ledger: a completed backup's bytes count until it is deleted. */
  storedObjects: StoredObjectLedger;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Backups and restores need the file: a project that is `active` or `paused`. */
export const RESTORABLE: readonly ProjectStatus[] = ['active', 'paused'];

const systemActor = (label: string) => ({ type: 'system' as const, id: null, label });

function actorIdOf(access: OrgAccess): string {
  return access.principal.kind === 'user' ? access.principal.userId : access.principal.keyId;
}

export function backupObjectKey(projectId: string, backupId: string): string {
  return `backups/${projectId}/${backupId}.sqlite`;
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)) || 'backup failed';
}

/**
 * Backups (issue 17): `POST` records a `pending` backup and sends the `backlex.run-backup` job in
 * the same transaction; the job checkpoints the file under its write lock and copies it
 * (`copyCheckpointed`: hashed, fsync'd — the checkpoint is also a kept base of the history), stores
 * the copy as one object and marks the backup `completed` with `sizeBytes` + `sha256` (or
 * `failed` + `error` after its last try). A restore re-hashes the object while downloading it and
 * swaps the file in only when it matches (else 409 `BACKUP_CORRUPT`, the live file untouched).
 * `auto` backups are taken daily per active project and deleted past the plan's PITR window;
 * `manual` ones stay until the project is purged.
 */
export function createBackups(deps: BackupsDeps) {
  async function liveProject(
    access: OrgAccess,
    slug: string,
    trx?: Transaction<BacklexDatabase>,
  ): Promise<ProjectRow> {
    const found = trx
      ? await deps.projects.lockLive(trx, access.org.id, slug)
      : await deps.projects.findLive(access.org.id, slug);
    if (!found) throw errors.NOT_FOUND();
    return found;
  }

  function requireRestorable(project: ProjectRow, action: string) {
    if (!RESTORABLE.includes(project.status))
      throw errors.INVALID_PROJECT_STATE(project.status, RESTORABLE, action);
  }

  async function insertPending(
    trx: Transaction<BacklexDatabase>,
    project: ProjectRow,
    kind: BackupKind,
    createdBy: string | null,
  ): Promise<BackupRow> {
    const id = newId('bkp');
    const backup = await deps.backups.insert(trx, {
      id,
      project_id: project.id,
      kind,
      status: 'pending',
      object_key: backupObjectKey(project.id, id),
      created_by: createdBy,
    });
    await deps.sendBackup(trx, backup.id);
    return backup;
  }

  async function settle(
    backupId: string,
    change: (trx: Transaction<BacklexDatabase>, backup: BackupRow, project: ProjectRow) => Promise<void>,
  ): Promise<boolean> {
    return deps.transaction(async (trx) => {
      const backup = await deps.backups.lockById(trx, backupId);
      if (backup?.status !== 'pending') return false;
      const project = await deps.projects.byId(backup.project_id, trx);
      if (!project) return false;
      await change(trx, backup, project);
      return true;
    });
  }

  async function fail(backupId: string, message: string): Promise<void> {
    await settle(backupId, async (trx, backup, project) => {
      await deps.backups.update(trx, backup.id, { status: 'failed', error: message });
      await deps.audit.record(trx, {
        organizationId: project.org_id,
        actor: systemActor('backups'),
        action: 'backup.failed',
        target: { type: 'backup', id: backup.id },
        data: { project: project.slug, kind: backup.kind, error: message },
      });
      await deps.events.publish(trx, project.org_id, 'backup.failed', {
        projectId: project.id,
        projectSlug: project.slug,
        actorId: backup.created_by,
        backupId: backup.id,
        error: message,
      });
    });
  }

  return {
    async list(access: OrgAccess, slug: string): Promise<BackupRow[]> {
      const project = await liveProject(access, slug);
      return deps.backups.list(project.id, 200);
    },

    /** 201 `pending`; the job completes it. Developers; the project must be `active` or `paused`. */
    async create(access: OrgAccess, slug: string, kind: BackupKind): Promise<BackupRow> {
      return deps.transaction(async (trx) => {
        const project = await liveProject(access, slug, trx);
        requireRestorable(project, 'a backup');
        const backup = await insertPending(trx, project, kind, actorIdOf(access));
        await deps.audit.record(trx, {
          organizationId: access.org.id,
          actor: auditActor(access.principal),
          action: 'backup.requested',
          target: { type: 'backup', id: backup.id },
          ip: access.ip,
          data: { project: project.slug, kind },
        });
        return backup;
      });
    },

    /**
     * The job's work: one attempt at taking the backup. `lastAttempt`: a failure is final
     * (`failed` + `error`); before that it is thrown for pg-boss to retry.
     */
    async run(
      backupId: string,
      { lastAttempt }: { lastAttempt: boolean },
    ): Promise<'completed' | 'failed' | 'skipped'> {
      const backup = await deps.backups.byId(backupId);
      if (backup?.status !== 'pending') return 'skipped';
      const project = await deps.projects.byId(backup.project_id);
      if (!project || !RESTORABLE.includes(project.status)) {
        await fail(backupId, `the project is ${project?.status ?? 'gone'}`);
        return 'failed';
      }
      fs.mkdirSync(deps.scratchDir, { recursive: true });
      const copyPath = path.join(deps.scratchDir, `${backup.id}.backup`);
      try {
        const copy = await deps.databases.copyCheckpointed(project.id, copyPath);
        // A retry after a run that stored the object but died before recording it.
        await deps.store.delete(backup.object_key);
        const stored = await storeBackup(deps.store, backup.object_key, copyPath);
        if (stored.sha256 !== copy.sha256 || stored.sizeBytes !== copy.sizeBytes) {
          throw new Error('the stored backup does not match the checkpointed copy');
        }
        const settled = await settle(backupId, async (trx, locked, owner) => {
          await deps.backups.update(trx, locked.id, {
            status: 'completed',
            size_bytes: stored.sizeBytes,
            sha256: stored.sha256,
            completed_at: new Date(),
            error: null,
          });
          await deps.storedObjects.record(trx, {
            kind: 'backup',
            key: backup.object_key,
            projectId: owner.id,
            sizeBytes: stored.sizeBytes,
          });
          await deps.audit.record(trx, {
            organizationId: owner.org_id,
            actor: systemActor('backups'),
            action: 'backup.completed',
            target: { type: 'backup', id: locked.id },
            data: {
              project: owner.slug,
              kind: locked.kind,
              sizeBytes: stored.sizeBytes,
              sha256: stored.sha256,
            },
          });
          await deps.events.publish(trx, owner.org_id, 'backup.created', {
            projectId: owner.id,
            projectSlug: owner.slug,
            actorId: locked.created_by,
            backupId: locked.id,
            kind: locked.kind,
            sizeBytes: stored.sizeBytes,
          });
        });
        if (!settled) await deps.store.delete(backup.object_key);
        return settled ? 'completed' : 'skipped';
      } catch (error) {
        if (!lastAttempt) throw error;
        await deps.store.delete(backup.object_key).catch(() => undefined);
        await fail(backupId, messageOf(error));
        return 'failed';
      } finally {
        fs.rmSync(copyPath, { force: true });
      }
    },

    /**
     * Admins (never an API key: `deploy` keys exclude restores). The backup must be `completed`
     * (else 409 `BACKUP_NOT_READY`); the object is re-hashed while downloaded (mismatch → 409
     * `BACKUP_CORRUPT`, nothing touched), then swapped in atomically by the host. Answers the backup
     * with `restoredAt`; writes a `restore` deploy, an audit row and `project.restored`.
     */
    async restore(access: OrgAccess, slug: string, backupId: string): Promise<BackupRow> {
      return deps.transaction(async (trx) => {
        const project = await liveProject(access, slug, trx);
        const backup = await deps.backups.lockOfProject(trx, project.id, backupId);
        if (!backup) throw errors.NOT_FOUND();
        requireRestorable(project, 'a restore');
        if (backup.status !== 'completed' || backup.sha256 === null || backup.size_bytes === null) {
          throw errors.BACKUP_NOT_READY(backup.status);
        }
        fs.mkdirSync(deps.scratchDir, { recursive: true });
        const downloadPath = path.join(deps.scratchDir, `${backup.id}-${newId('rst')}.restore`);
        let sizeBytes: number;
        try {
          await restoreBackup(
            deps.store,
            { key: backup.object_key, sizeBytes: Number(backup.size_bytes), sha256: backup.sha256 },
            downloadPath,
          );
          ({ sizeBytes } = await deps.databases.replace(project.id, downloadPath));
        } catch (error) {
          if (error instanceof BackupCorruptError) throw errors.BACKUP_CORRUPT();
          throw error;
        } finally {
          fs.rmSync(downloadPath, { force: true });
        }
        const restoredAt = new Date();
        const restored = await deps.backups.update(trx, backup.id, { restored_at: restoredAt });
        await deps.projects.update(trx, project.id, { size_bytes: sizeBytes });
        const restoredTo = (backup.completed_at ?? backup.created_at).toISOString();
        await deps.deploys.record(trx, {
          project_id: project.id,
          kind: 'restore',
          status: 'succeeded',
          template: project.template,
          from_version: project.template_version,
          to_version: project.template_version,
          actor_id: actorIdOf(access),
        });
        await deps.audit.record(trx, {
          organizationId: access.org.id,
          actor: auditActor(access.principal),
          action: 'project.restored',
          target: { type: 'project', id: project.id },
          ip: access.ip,
          data: { slug: project.slug, backupId: backup.id, restoredTo },
        });
        await deps.events.publish(trx, access.org.id, 'project.restored', {
          projectId: project.id,
          projectSlug: project.slug,
          actorId: actorIdOf(access),
          restoredTo,
          backupId: backup.id,
        });
        return restored;
      });
    },

    /**
     * The daily job: an `auto` backup for every `active` project whose last one is older than
     * `minAgeMs` (so a re-run the same day adds none). Returns the backups requested.
     */
    async requestDaily(now: Date, minAgeMs = 20 * 60 * 60 * 1000): Promise<string[]> {
      const requested: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await deps.backups.liveWithFiles(after, 200);
        if (page.length === 0) break;
        after = page.at(-1)!.id;
        for (const candidate of page) {
          if (candidate.status !== 'active') continue;
          const last = await deps.backups.lastAutoAt(candidate.id);
          if (last && now.getTime() - last.getTime() < minAgeMs) continue;
          const backup = await deps.transaction(async (trx) => {
            const project = await deps.projects.lockById(trx, candidate.id);
            if (project?.status !== 'active') return undefined;
            const created = await insertPending(trx, project, 'auto', null);
            await deps.audit.record(trx, {
              organizationId: project.org_id,
              actor: systemActor('backups'),
              action: 'backup.requested',
              target: { type: 'backup', id: created.id },
              data: { project: project.slug, kind: 'auto' },
            });
            return created;
          });
          if (backup) requested.push(backup.id);
        }
      }
      return requested;
    },

    /**
     * Retention: for every `active`/`paused` project, its history and its live branches' are pruned
     * to the plan's PITR window, and its `auto` backups older than the window are deleted (object
     * and row). `manual` backups stay until the project is purged.
     */
    async applyRetention(now: Date): Promise<{ prunedFiles: number; deletedBackups: number }> {
      let prunedFiles = 0;
      let deletedBackups = 0;
      let after: string | null = null;
      const windows = new Map<string, number | undefined>();
      for (;;) {
        const page = await deps.backups.liveWithFiles(after, 200);
        if (page.length === 0) break;
        after = page.at(-1)!.id;
        for (const project of page) {
          if (!windows.has(project.org_id)) {
            const plan = await deps.transaction((trx) => currentPlanOf(trx, project.org_id));
            windows.set(project.org_id, plan ? plan.pitrWindowDays * DAY_MS : undefined);
          }
          const windowMs = windows.get(project.org_id);
          if (windowMs === undefined) continue;
          for (const id of [project.id, ...(await deps.backups.liveBranchIds(project.id))]) {
            if (!(await deps.databases.exists(id))) continue;
            await deps.databases.pruneHistory(id, windowMs);
            prunedFiles++;
          }
          for (const backup of await deps.backups.autoBefore(
            project.id,
            new Date(now.getTime() - windowMs),
            500,
          )) {
            await deps.store.delete(backup.object_key);
            await deps.backups.remove(backup.id);
            await deps.storedObjects.forget(undefined, { kind: 'backup', key: backup.object_key });
            deletedBackups++;
          }
        }
      }
      return { prunedFiles, deletedBackups };
    },

    /** A purged project's backups: their objects and rows. */
    async purgeOf(projectId: string): Promise<void> {
      for (const backup of await deps.backups.allOf(projectId)) {
        await deps.store.delete(backup.object_key);
        await deps.backups.remove(backup.id);
        await deps.storedObjects.forget(undefined, { kind: 'backup', key: backup.object_key });
      }
    },
  };
}

export type Backups = ReturnType<typeof createBackups>;
