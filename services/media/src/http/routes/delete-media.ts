import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { removeMediaBlobs } from '../../media/blob-cleanup.js';
import { principalOf } from '../auth.js';
import { errorResponses, idParams } from '../schemas.js';

export async function deleteMediaRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.delete(
    '/media/:id',
    {
      schema: {
        tags: ['media'],
        operationId: 'deleteMedia',
        summary: 'Delete Media',
        description:
          "Removes every blob (original + each derived variant) from storage, then deletes the `media` row. The matching `media_variants` rows go away via FK cascade. A `StorageError::NotFound` is tolerated per file so retries on a partially-failed delete are idempotent. A failure cleaning a single variant blob is logged but does not abort the delete — the user's media still goes away; worst case is one orphan blob on disk. Operators can sweep orphans by walking the storage directory and reconciling against `media_variants.storage_path`.",
        params: idParams,
        response: {
          ...errorResponses(400, 401, 403, 404),
          200: z.object({
            deleted: z.literal(true),
            media_id: z.string(),
            filename: z.string(),
            freed_bytes: z.number().int(),
          }),
        },
      },
      onRequest: deps.auth.require('media:delete'),
    },
    async (request) => {
      const removed = await deps.media.deleteOwned(
        request.params.id,
        principalOf(request),
        (trx, media, variants) => deps.scheduleBlobDeletion(trx, [media], variants),
      );
      if (!removed) throw mediaErrors.mediaNotFound();
      // At once; the job sent with the delete retries whatever this misses.
      await removeMediaBlobs(deps.objects, request.log, [removed.media], removed.variants);
      return {
        deleted: true as const,
        media_id: removed.media.id,
        filename: removed.media.filename,
        freed_bytes: removed.media.size_bytes,
      };
    },
  );
}
