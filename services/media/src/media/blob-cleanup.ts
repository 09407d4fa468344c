import type { AnyObjectStore } from '@trustplane/kernel';
import type { Logger } from 'pino';
import type { MediaRow, VariantRow } from '../db/types.js';

/**
 * Removes the blobs of media whose rows are already gone: variants first, then the original.
 * Missing files are fine (the store's delete is idempotent); any other failure is logged and the
 * rest carries on, leaving at worst an orphan blob that no row points at.
 */
export async function removeMediaBlobs(
  objects: AnyObjectStore,
  logger: Pick<Logger, 'warn' | 'error'>,
  media: MediaRow[],
  variants: VariantRow[],
): Promise<void> {
  const byMedia = new Map<string, VariantRow[]>();
  for (const variant of variants) {
    const list = byMedia.get(variant.media_id) ?? [];
    list.push(variant);
    byMedia.set(variant.media_id, list);
  }
  for (const row of media) {
    for (const variant of byMedia.get(row.id) ?? []) {
      await objects.delete(variant.storage_path).catch((error: unknown) => {
        logger.warn(
          { err: error, mediaId: row.id, key: variant.storage_path },
          'variant blob cleanup failed',
        );
      });
    }
    await objects.delete(row.storage_path).catch((error: unknown) => {
      logger.error({ err: error, mediaId: row.id, key: row.storage_path }, 'original blob cleanup failed');
    });
  }
}
