import type { ObjectStore } from '@trustplane/kernel';
import type { Transaction } from 'kysely';
import type { ProjectExportRepository } from '../db/project-export-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import type { StoredObjectLedger } from '../usage/stored-object-ledger.js';
import { EXPORT_URL_SECONDS } from './org-export.js';

/**
 * How long an export's dumps are kept: a day. Their download links work for an hour
 * (`EXPORT_URL_SECONDS`) and nothing presigns them again (a new `POST …/export` makes new dumps),
 * so the margin only covers downloads still running when a link expires and the hourly job's
 * cadence; r2 is counted per UTC day, so a day costs at most one more day of the dump's bytes.
 */
export const EXPORT_RETENTION_MS = 24 * 60 * 60 * 1000;

if (EXPORT_RETENTION_MS < EXPORT_URL_SECONDS * 1000)
  throw new Error('exports must be kept at least as long as their download links work');

export interface ExportRetentionDeps {
  exports: ProjectExportRepository;
  objects: ObjectStore;
  /** Usage's r2 ledger: a pruned dump stops counting from the moment it is deleted. */
  storedObjects: StoredObjectLedger;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
}

/**
 * Export retention (`backlex.export-retention`, hourly): every dump older than
 * `EXPORT_RETENTION_MS` at `now` is deleted — the object first, then, in one transaction, its row
 * and its r2 entry (forgotten at the moment of deletion). A run that dies in between is finished by
 * the next one (deleting a missing object and forgetting twice are no-ops).
 */
export function createExportRetention(deps: ExportRetentionDeps) {
  return {
    async prune(now: Date): Promise<{ prunedDumps: number; prunedBytes: number }> {
      const before = new Date(now.getTime() - EXPORT_RETENTION_MS);
      let prunedDumps = 0;
      let prunedBytes = 0;
      for (;;) {
        const due = await deps.exports.createdBefore(before, 200);
        if (due.length === 0) break;
        for (const dump of due) {
          await deps.objects.delete(dump.object_key);
          await deps.transaction(async (trx) => {
            await deps.storedObjects.forget(trx, { kind: 'export', key: dump.object_key });
            await deps.exports.remove(trx, dump.id);
          });
          prunedDumps++;
          prunedBytes += Number(dump.size_bytes);
        }
      }
      return { prunedDumps, prunedBytes };
    },
  };
}

export type ExportRetention = ReturnType<typeof createExportRetention>;
