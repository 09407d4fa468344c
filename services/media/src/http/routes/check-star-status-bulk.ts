import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { principalOf } from '../auth.js';
import { errorResponses, uuidSchema } from '../schemas.js';

const MAX_BULK_CHECK = 100;

export async function checkStarStatusBulkRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.post(
    '/starred/check',
    {
      schema: {
        tags: ['starred'],
        operationId: 'checkStarStatusBulk',
        summary: 'Check Star Status (Bulk)',
        description:
          'Bulk lookup: given a list of media IDs, returns which ones the caller has starred. Lets a list view annotate every row in one round-trip.',
        body: z.object({ media_ids: z.array(uuidSchema).max(MAX_BULK_CHECK) }),
        response: {
          ...errorResponses(400, 401, 403),
          200: z.object({ items: z.array(z.object({ media_id: z.string(), is_starred: z.boolean() })) }),
        },
      },
      onRequest: deps.auth.require('media:list'),
    },
    async (request) => {
      const ids = request.body.media_ids;
      const starred = await deps.bookmarks.starredAmong(principalOf(request).accountId, ids);
      return { items: ids.map((id) => ({ media_id: id, is_starred: starred.has(id) })) };
    },
  );
}
