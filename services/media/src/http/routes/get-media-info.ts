import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { optionalPrincipalOf } from '../auth.js';
import { errorResponses, idParams, mediaJson, mediaSchema } from '../schemas.js';

export async function getMediaInfoRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get(
    '/media/:id/info',
    {
      schema: {
        tags: ['media'],
        operationId: 'getMediaInfo',
        summary: 'Get Media Info',
        description:
          'Returns the metadata only (no bytes). Useful for clients that want size/MIME/checksum without paying for the download.',
        params: idParams,
        response: { ...errorResponses(400, 401, 403, 404), 200: mediaSchema },
      },
      onRequest: deps.auth.optional('media:download'),
    },
    async (request) => {
      const media = await deps.media.findReadable(request.params.id, optionalPrincipalOf(request));
      if (!media)
        throw optionalPrincipalOf(request) ? mediaErrors.mediaNotFound() : mediaErrors.unauthenticated();
      return mediaJson(media);
    },
  );
}
