import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { principalOf } from '../auth.js';
import {
  errorResponses,
  idParams,
  pageMeta,
  paged,
  paginationQuery,
  sharedLinkJson,
  sharedLinkSchema,
} from '../schemas.js';

export async function listSharedLinksOfMediaRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get(
    '/media/:id/shared-links',
    {
      schema: {
        tags: ['shared-links'],
        operationId: 'listSharedLinksOfMedia',
        summary: 'List every shared link to one of my media',
        description:
          'Owner only: every link to the media, whoever created it (an organization member with read access may have). Tokens are never listed.',
        'x-extension': true,
        params: idParams,
        querystring: paginationQuery,
        response: {
          ...errorResponses(400, 401, 403, 404),
          200: z.object({ items: z.array(sharedLinkSchema), ...pageMeta }),
        },
      },
      onRequest: deps.auth.require('media:download'),
    },
    async (request) => {
      const { page, per_page: perPage } = request.query;
      const { items, total } = await deps.sharing.listForMedia(
        principalOf(request),
        request.params.id,
        page,
        perPage,
      );
      return paged(items.map(sharedLinkJson), total, page, perPage);
    },
  );
}
