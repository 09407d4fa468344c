// Removing a database's whole history (its project was purged): every object under its key prefix
// (bases — kept ones too —, generations, the manifest) and the local spool directory.
import fs from 'node:fs';
import type { HistorySource } from './restore.js';

/**
 * Deletes the history's objects and its spool directory. The recorder of that database must be
 * closed (its file removed) first. Returns how many objects were deleted.
 */
export async function purgeHistory(source: HistorySource): Promise<{ deletedObjects: number }> {
  const deletedObjects = await source.store.deletePrefix(`${source.keyPrefix}/`);
  fs.rmSync(source.spoolDir, { recursive: true, force: true });
  return { deletedObjects };
}
