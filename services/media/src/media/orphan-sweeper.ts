import type { AnyObjectStore } from '@trustplane/kernel';
import type { Logger } from 'pino';
import type { MediaRepository } from '../db/media-repository.js';

export interface SweepResult {
  staged_files_removed: number;
  abandoned_uploads_removed: number;
}

/**
 * Removes what a crashed upload leaves: staging files nobody has written to for `graceMs`
 * (a live upload keeps touching its file), and committed blobs whose upload intent is older than
 * `graceMs` and never got its media row.
 */
export function createOrphanSweeper(deps: {
  objects: AnyObjectStore;
  media: MediaRepository;
  logger: Logger;
  graceMs: number;
}) {
  return {
    async sweep(): Promise<SweepResult> {
      const staged = deps.objects.kind === 'local' ? await deps.objects.sweepStaging(deps.graceMs) : 0;
      let abandoned = 0;
      for (const key of await deps.media.staleUploads(new Date(Date.now() - deps.graceMs))) {
        try {
          await deps.objects.delete(key);
          await deps.media.abandonUpload(key);
          abandoned++;
        } catch (error) {
          deps.logger.warn({ err: error, key }, 'could not remove an abandoned upload');
        }
      }
      if (staged > 0 || abandoned > 0) {
        deps.logger.info({ staged, abandoned }, 'removed leftovers of interrupted uploads');
      }
      return { staged_files_removed: staged, abandoned_uploads_removed: abandoned };
    },
  };
}

export type OrphanSweeper = ReturnType<typeof createOrphanSweeper>;
