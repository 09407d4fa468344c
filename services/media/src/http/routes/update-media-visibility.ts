import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { principalOf } from '../auth.js';
import { errorResponses, idParams, mediaJson, mediaSchema, visibilitySchema } from '../schemas.js';

export async function updateMediaVisibilityRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.patch(
    '/media/:id/visibility',
    {
      schema: {
        tags: ['media'],
        operationId: 'updateMediaVisibility',
        summary: 'Update Media Visibility',
        description:
          "Switches the media row's visibility level. Does not propagate to shared links; existing tokens keep working until they expire or are deleted.",
        params: idParams,
        body: z.object({ visibility: visibilitySchema }),
        response: { ...errorResponses(400, 401, 403, 404), 200: mediaSchema },
      },
      onRequest: deps.auth.require('media:update'),
    },
    async (request) => {
      const media = await deps.media.setVisibility(
        request.params.id,
        principalOf(request),
        request.body.visibility,
      );
      if (!media) throw mediaErrors.mediaNotFound();
      return mediaJson(media);
    },
  );
}
