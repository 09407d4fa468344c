import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { principalOf } from '../auth.js';
import {
  errorResponses,
  pageMeta,
  paged,
  paginationQuery,
  sharedLinkJson,
  sharedLinkSchema,
} from '../schemas.js';

export async function listMySharedLinksRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get(
    '/shared-links',
    {
      schema: {
        tags: ['shared-links'],
        operationId: 'listMySharedLinks',
        summary: 'List My Shared Links',
        description: 'Lists shared links the caller created. Paginated.',
        querystring: paginationQuery,
        response: {
          ...errorResponses(400, 401, 403),
          200: z.object({ items: z.array(sharedLinkSchema), ...pageMeta }),
        },
      },
      onRequest: deps.auth.require('media:download'),
    },
    async (request) => {
      const { page, per_page: perPage } = request.query;
      const { items, total } = await deps.sharing.list(principalOf(request), page, perPage);
      return paged(items.map(sharedLinkJson), total, page, perPage);
    },
  );
}
