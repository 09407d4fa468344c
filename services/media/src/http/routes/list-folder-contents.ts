import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { principalOf } from '../auth.js';
import {
  errorResponses,
  folderJson,
  folderSchema,
  idParams,
  mediaJson,
  mediaSchema,
  pageMeta,
  paged,
  paginationQuery,
} from '../schemas.js';

export async function listFolderContentsRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const contentItem = z.union([
    folderSchema.extend({ type: z.literal('folder') }),
    mediaSchema.extend({ type: z.literal('media') }),
  ]);
  routes.get(
    '/folders/:id/contents',
    {
      schema: {
        tags: ['folders'],
        operationId: 'listFolderContents',
        summary: 'List Folder Contents',
        description:
          'Returns the immediate children: subfolders and media files in a single paginated response. Useful for a Drive-style file browser UI.',
        params: idParams,
        querystring: paginationQuery,
        response: {
          ...errorResponses(400, 401, 403, 404),
          200: z.object({
            folder: folderSchema,
            items: z.array(contentItem),
            ...pageMeta,
            counts: z.object({ folders: z.number().int(), media: z.number().int() }),
          }),
        },
      },
      onRequest: deps.auth.require('folder:list'),
    },
    async (request) => {
      const folder = await deps.folders.findOwned(request.params.id, principalOf(request));
      if (!folder) throw mediaErrors.folderNotFound();
      const { page, per_page: perPage } = request.query;
      const contents = await deps.folders.contents(folder.id, page, perPage);
      const items = contents.items.map((item) =>
        item.type === 'folder'
          ? { type: 'folder' as const, ...folderJson(item) }
          : { type: 'media' as const, ...mediaJson(item) },
      );
      return {
        folder: folderJson(folder),
        ...paged(items, contents.total, page, perPage),
        counts: { folders: contents.folders, media: contents.media },
      };
    },
  );
}
