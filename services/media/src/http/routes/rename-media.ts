import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { hasControlCharacters } from '../../media/mime-policy.js';
import { principalOf } from '../auth.js';
import { errorResponses, idParams, mediaJson, mediaSchema } from '../schemas.js';

export async function renameMediaRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.patch(
    '/media/:id',
    {
      schema: {
        tags: ['media'],
        operationId: 'renameMedia',
        summary: 'Rename Media',
        description:
          'Updates the user-facing `original_name`. The on-disk filename is unchanged; only the display name is rewritten.',
        params: idParams,
        body: z.object({
          original_name: z
            .string()
            .trim()
            .min(1)
            .max(255)
            .refine(
              (name) => !hasControlCharacters(name) && !/[/\\]/.test(name),
              'must not contain "/", "\\" or control characters',
            ),
        }),
        response: { ...errorResponses(400, 401, 403, 404), 200: mediaSchema },
      },
      onRequest: deps.auth.require('media:update'),
    },
    async (request) => {
      const media = await deps.media.rename(
        request.params.id,
        principalOf(request),
        request.body.original_name,
      );
      if (!media) throw mediaErrors.mediaNotFound();
      return mediaJson(media);
    },
  );
}
