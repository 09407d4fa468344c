import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { principalOf } from '../auth.js';
import { errorResponses, idParams } from '../schemas.js';

export async function toggleStarRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  /** Stars only for media the caller can read; anything else is a 404. */
  async function readable(request: FastifyRequest, id: string) {
    const media = await deps.media.findReadable(id, principalOf(request));
    if (!media) throw mediaErrors.mediaNotFound();
    return media;
  }
  routes.post(
    '/media/:id/toggle-star',
    {
      schema: {
        tags: ['starred'],
        operationId: 'toggleStar',
        summary: 'Toggle Star',
        description:
          'Convenience endpoint that flips the star state. Useful for UIs that bind a single button to "star/unstar" without tracking current state client-side.',
        params: idParams,
        response: {
          ...errorResponses(400, 401, 403, 404),
          200: z.object({ media_id: z.string(), is_starred: z.boolean() }),
        },
      },
      onRequest: deps.auth.require('media:list'),
    },
    async (request) => {
      const media = await readable(request, request.params.id);
      const starred = await deps.bookmarks.toggle(principalOf(request).accountId, media.id);
      return { media_id: media.id, is_starred: starred };
    },
  );
}
