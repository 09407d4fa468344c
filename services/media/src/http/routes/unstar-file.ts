import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { principalOf } from '../auth.js';
import { errorResponses, idParams } from '../schemas.js';

export async function unstarFileRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const starSchema = z.object({
    media_id: z.string(),
    is_starred: z.boolean(),
    notes: z.string().nullable(),
    starred_at: z.string().nullable(),
  });
  routes.delete(
    '/media/:id/star',
    {
      schema: {
        tags: ['starred'],
        operationId: 'unstarFile',
        summary: 'Unstar File',
        description: 'Removes the star. Idempotent — unstarring an already-unstarred file returns success.',
        params: idParams,
        response: { ...errorResponses(400, 401, 403), 200: starSchema },
      },
      onRequest: deps.auth.require('media:list'),
    },
    async (request) => {
      // Idempotent: unstarring something not starred (or no longer visible) still succeeds.
      await deps.bookmarks.unstar(principalOf(request).accountId, request.params.id);
      return { media_id: request.params.id, is_starred: false, notes: null, starred_at: null };
    },
  );
}
