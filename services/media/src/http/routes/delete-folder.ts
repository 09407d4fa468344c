import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { removeMediaBlobs } from '../../media/blob-cleanup.js';
import { principalOf } from '../auth.js';
import { booleanQuery, errorResponses, idParams } from '../schemas.js';

export async function deleteFolderRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.delete(
    '/folders/:id',
    {
      schema: {
        tags: ['folders'],
        operationId: 'deleteFolder',
        summary: 'Delete Folder',
        description:
          'Deletes the folder. The non-force path requires the folder to be empty (no media, no subfolders) and returns HTTP 412 if it is not. With `force=true` the entire subtree is purged: for every media in the subtree, all derived variant blobs (medium /high/low) are removed first, then the original blob, then the media row; finally the folder rows cascade. Variant cleanup failures are logged but never abort the purge — same reasoning as the single-media delete endpoint.',
        params: idParams,
        querystring: z.object({ force: booleanQuery }),
        response: {
          ...errorResponses(400, 401, 403, 404, 412),
          200: z.object({
            deleted: z.literal(true),
            folder_id: z.string(),
            deleted_items: z.object({ folders: z.number().int(), media: z.number().int() }),
            freed_bytes: z.number().int(),
          }),
        },
      },
      onRequest: deps.auth.require('folder:delete'),
    },
    async (request) => {
      const removed = await deps.folders.delete(
        request.params.id,
        principalOf(request),
        request.query.force,
        (trx, media, variants) => deps.scheduleBlobDeletion(trx, media, variants),
      );
      if (!removed) throw mediaErrors.folderNotFound();
      // At once; the job sent with the delete retries whatever this misses.
      await removeMediaBlobs(deps.objects, request.log, removed.media, removed.variants);
      return {
        deleted: true as const,
        folder_id: request.params.id,
        deleted_items: { folders: removed.folders, media: removed.media.length },
        freed_bytes: removed.media.reduce((sum, row) => sum + row.size_bytes, 0),
      };
    },
  );
}
