import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { principalOf } from '../auth.js';
import { errorResponses, iso, mediaJson, mediaSchema, pageMeta, paged, paginationQuery } from '../schemas.js';

export async function listStarredRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get(
    '/starred',
    {
      schema: {
        tags: ['starred'],
        operationId: 'listStarred',
        summary: 'List Starred',
        description:
          "Lists the caller's starred media in reverse-chronological order (most recently starred first). Each item includes the underlying media metadata plus `starred_at` and `notes`.",
        querystring: paginationQuery,
        response: {
          ...errorResponses(400, 401, 403),
          200: z.object({
            items: z.array(mediaSchema.extend({ starred_at: z.string(), notes: z.string().nullable() })),
            ...pageMeta,
          }),
        },
      },
      onRequest: deps.auth.require('media:list'),
    },
    async (request) => {
      const { page, per_page: perPage } = request.query;
      const { items, total } = await deps.bookmarks.listStarred(principalOf(request), page, perPage);
      return paged(
        items.map((item) => ({ ...mediaJson(item), starred_at: iso(item.starred_at), notes: item.notes })),
        total,
        page,
        perPage,
      );
    },
  );
}
