import fs from 'node:fs';
import path from 'node:path';
import type { ObjectStore, RateLimiter } from '@trustplane/kernel';
import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import { auditActor, type OrgAccess } from '../auth/principal.js';
import { newId } from '../db/ids.js';
import type { ProjectExportRepository } from '../db/project-export-repository.js';
import type { ProjectRepository, ProjectRow } from '../db/project-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import { errors } from '../errors.js';
import type { EventPublisher } from '../events/publish-event.js';
import type { ProjectDatabases } from './project-databases.js';
import type { StoredObjectLedger } from '../usage/stored-object-ledger.js';

/** How long an export's download links work. */
export const EXPORT_URL_SECONDS = 3600;

export interface OrgExportDeps {
  projects: ProjectRepository;
  exports: ProjectExportRepository;
  databases: ProjectDatabases;
  objects: ObjectStore;
  /** One export per org per 10 minutes (`backlex.exports`, keyed by org id). */
  limiter: RateLimiter;
  audit: AuditLog;
  events: EventPublisher;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
  /** Where the hosts write dumps before they are stored as objects (same machine as the hosts). */
  scratchDirectory: string;
  /** Usage's r2 ledger: an export's dumps count for their projects while they are kept. */
  storedObjects: StoredObjectLedger;
  now?: () => Date;
}

export interface ExportItem {
  projectId: string;
  slug: string;
  name: string;
  filename: string;
  url: string;
  urlExpiresAt: string;
  sizeBytes: number;
  sha256: string;
}

/** Projects whose file exists and may be read: provisioning or failed ones have no database yet. */
const HAS_DATABASE = new Set(['active', 'paused']);

/** `20261205T105400Z`: sortable and safe in a file name. */
function compactTime(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * `POST /org/{slug}/export`: one `.sql` dump per non-deleted project that has a database, each
 * made by the file's host from a read snapshot (writers go on), stored as an object
 * (`exports/<org>/<export>/<slug>.sql`, create-only, hash-checked on the way in) and answered
 * with a presigned download URL, its size and sha-256. One export per org per 10 minutes; a
 * failed export gives its turn back. Audited and published as `org.exported`.
 */
export function createOrgExport(deps: OrgExportDeps) {
  const now = deps.now ?? (() => new Date());

  async function dumpOne(
    access: OrgAccess,
    exportId: string,
    project: ProjectRow,
    at: Date,
  ): Promise<(ExportItem & { objectKey: string }) | undefined> {
    if (!(await deps.databases.exists(project.id))) return undefined;
    const scratch = path.join(deps.scratchDirectory, `${exportId}-${project.id}.sql`);
    const filename = `${access.org.slug}-${project.slug}-${compactTime(at)}.sql`;
    const objectKey = `exports/${access.org.id}/${exportId}/${project.slug}.sql`;
    try {
      const dumped = await deps.databases.dump(
        project.id,
        scratch,
        `backlex export of ${access.org.slug}/${project.slug} (${project.id}) at ${at.toISOString()}`,
      );
      await deps.objects.put(objectKey, fs.createReadStream(scratch), {
        contentType: 'application/sql',
        expectedSize: dumped.sizeBytes,
        expectedSha256: dumped.sha256,
        createOnly: true,
      });
      const presigned = await deps.objects.presignGet(objectKey, {
        expiresInSeconds: EXPORT_URL_SECONDS,
        downloadName: filename,
        contentType: 'application/sql',
        sha256: dumped.sha256,
      });
      return {
        projectId: project.id,
        slug: project.slug,
        name: project.name,
        filename,
        url: presigned.url,
        urlExpiresAt: presigned.expiresAt.toISOString(),
        sizeBytes: dumped.sizeBytes,
        sha256: dumped.sha256,
        objectKey,
      };
    } finally {
      await fs.promises.rm(scratch, { force: true });
    }
  }

  return {
    limiter: deps.limiter,

    async run(access: OrgAccess): Promise<{ exportId: string; exportedAt: string; projects: ExportItem[] }> {
      const decision = await deps.limiter.consume(access.org.id);
      if (!decision.allowed) {
        throw errors.RATE_LIMITED(decision.retryAfterSeconds, 'One export per organization every 10 minutes');
      }
      const exportId = newId('exp');
      const at = now();
      const stored: string[] = [];
      try {
        await fs.promises.mkdir(deps.scratchDirectory, { recursive: true });
        const projects = (await deps.projects.list(access.org.id)).filter((row) =>
          HAS_DATABASE.has(row.status),
        );
        const items: (ExportItem & { objectKey: string })[] = [];
        // One at a time: an export must not take every host's attention at once.
        for (const project of projects) {
          const item = await dumpOne(access, exportId, project, at);
          if (!item) continue;
          stored.push(item.objectKey);
          items.push(item);
        }
        const actorId = access.principal.kind === 'user' ? access.principal.userId : access.principal.keyId;
        await deps.transaction(async (trx) => {
          await deps.exports.insert(
            trx,
            items.map((item) => ({
              id: newId('pex'),
              org_id: access.org.id,
              export_id: exportId,
              project_id: item.projectId,
              project_slug: item.slug,
              filename: item.filename,
              object_key: item.objectKey,
              size_bytes: item.sizeBytes,
              sha256: item.sha256,
              created_by: actorId,
            })),
          );
          for (const item of items) {
            await deps.storedObjects.record(trx, {
              kind: 'export',
              key: item.objectKey,
              projectId: item.projectId,
              sizeBytes: item.sizeBytes,
            });
          }
          await deps.audit.record(trx, {
            organizationId: access.org.id,
            actor: auditActor(access.principal),
            action: 'org.exported',
            target: { type: 'export', id: exportId },
            ip: access.ip,
            data: {
              projects: items.map((item) => ({
                slug: item.slug,
                sizeBytes: item.sizeBytes,
                sha256: item.sha256,
              })),
            },
          });
          await deps.events.publish(trx, access.org.id, 'org.exported', {
            exportId,
            projects: items.map((item) => ({
              projectId: item.projectId,
              projectSlug: item.slug,
              sizeBytes: item.sizeBytes,
            })),
            actorId,
          });
        });
        return {
          exportId,
          exportedAt: at.toISOString(),
          projects: items.map(({ objectKey: _key, ...item }) => item),
        };
      } catch (error) {
        // Nothing of a failed export stays, and it does not use up the org's turn.
        await Promise.allSettled(stored.map((key) => deps.objects.delete(key)));
        await deps.limiter.reward(access.org.id).catch(() => undefined);
        throw error;
      }
    },
  };
}

export type OrgExport = ReturnType<typeof createOrgExport>;
