import { type AnyObjectStore, defineJob, type JobQueue } from '@trustplane/kernel';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { MediaDatabase, MediaRow, VariantRow } from '../db/types.js';

export const DELETE_BLOBS_QUEUE = 'media.delete-blobs';
/** Keys per job: a folder of thousands of files becomes several jobs, each retried on its own. */
const KEYS_PER_JOB = 500;

/**
 * The blobs of deleted media (variants, then the original). The delete routes send this job in
 * the transaction that deletes the rows, then remove the blobs at once: the job is what makes the
 * removal survive a crash or a storage failure between the commit and the last delete (it retries
 * with backoff; deleting a missing blob is fine).
 */
export function deleteBlobsJob(objects: AnyObjectStore) {
  return defineJob({
    name: DELETE_BLOBS_QUEUE,
    version: 1,
    payload: z.object({ keys: z.array(z.string().min(1)).min(1).max(KEYS_PER_JOB) }),
    retry: { limit: 8, delaySeconds: 10, backoff: true },
    timeoutSeconds: 300,
    async handle(payload, job) {
      const failed: string[] = [];
      for (const key of payload.keys) {
        await objects.delete(key).catch((error: unknown) => {
          job.logger.warn({ err: error, key }, 'blob not deleted; the job will retry');
          failed.push(key);
        });
      }
      if (failed.length > 0) throw new Error(`${failed.length} of ${payload.keys.length} blobs not deleted`);
    },
    async deadLetter(payload, job) {
      job.logger.error({ keys: payload.keys, reason: job.reason }, 'blobs of deleted media left in storage');
    },
  });
}

export type DeleteBlobsJob = ReturnType<typeof deleteBlobsJob>;

/** Sends the deletion of these media's blobs in the caller's transaction (variants first). */
export async function scheduleBlobDeletion(
  jobs: JobQueue,
  job: DeleteBlobsJob,
  trx: Transaction<MediaDatabase>,
  media: MediaRow[],
  variants: VariantRow[],
): Promise<void> {
  const keys = [...variants.map((variant) => variant.storage_path), ...media.map((row) => row.storage_path)];
  const chunks: { payload: { keys: string[] } }[] = [];
  for (let start = 0; start < keys.length; start += KEYS_PER_JOB)
    chunks.push({ payload: { keys: keys.slice(start, start + KEYS_PER_JOB) } });
  if (chunks.length > 0) await jobs.sendMany(job, chunks, { transaction: trx });
}
