import fs from 'node:fs';
import path from 'node:path';
import { type HistorySettings, historySource } from '@trustplane/database-host';
import type { AnyObjectStore, ServiceContext } from '@trustplane/kernel';
import {
  type HistoryRange,
  historyRange,
  purgeHistory,
  type RestoreResult,
  restoreToTime,
} from '@trustplane/sqlite-history';

/**
 * Where the point-in-time history of every project and branch file lives: the spool under
 * `<data dir>/backlex/history/<id>`, objects under `history/<id>/` in backlex's kernel object store
 * (local disk, or S3 when configured). The host processes get the same store as plain data and
 * write to it; this process reads it for restores.
 */
export function historySettings(context: ServiceContext): HistorySettings {
  return {
    spoolRoot: path.join(context.config.dataDir, 'backlex', 'history'),
    objectStore: {
      ...(context.config.s3 ? { s3: context.config.s3 } : {}),
      rootDir: path.join(context.config.dataDir, 'objects'),
      namespace: context.service,
      // The hosts never presign; the secret only has to be the service's.
      signingSecret: context.signingSecret.toString('base64url'),
      publicBaseUrl: context.publicUrl,
    },
    keyPrefix: 'history',
  };
}

/** `<data dir>/backlex/restores`: restored and downloaded files wait here until the host swaps them in. */
export function scratchDirectory(context: ServiceContext): string {
  return path.join(context.config.dataDir, 'backlex', 'restores');
}

/** Reading and removing histories, from the service process. */
export function createProjectHistory(settings: HistorySettings, store: AnyObjectStore) {
  const source = (databaseId: string) => historySource(settings, databaseId, store);
  return {
    /** [oldest base kept, now]; `NoHistoryError` when the file has none yet. */
    range(databaseId: string): Promise<HistoryRange> {
      return historyRange(source(databaseId));
    },
    /** Writes the file as of `targetMs` at `outputPath` (atomically); the live file is untouched. */
    restoreTo(databaseId: string, targetMs: number, outputPath: string): Promise<RestoreResult> {
      fs.mkdirSync(path.dirname(outputPath), { recursive: true });
      return restoreToTime(source(databaseId), targetMs, outputPath);
    },
    /** Deletes the history of a removed file (objects and spool). */
    async purge(databaseId: string): Promise<void> {
      await purgeHistory(source(databaseId));
    },
  };
}

export type ProjectHistory = ReturnType<typeof createProjectHistory>;
