import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { principalOf } from '../auth.js';
import { errorResponses, freeText, idParams, iso } from '../schemas.js';

export async function starFileRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  /** Stars only for media the caller can read; anything else is a 404. */
  async function readable(request: FastifyRequest, id: string) {
    const media = await deps.media.findReadable(id, principalOf(request));
    if (!media) throw mediaErrors.mediaNotFound();
    return media;
  }
  const starSchema = z.object({
    media_id: z.string(),
    is_starred: z.boolean(),
    notes: z.string().nullable(),
    starred_at: z.string().nullable(),
  });
  routes.post(
    '/media/:id/star',
    {
      schema: {
        tags: ['starred'],
        operationId: 'starFile',
        summary: 'Star File',
        description:
          'Stars (or re-stars) a media file. Optional `notes` are stored alongside the star. Calling this on an already-starred file is a no-error update.',
        params: idParams,
        body: z.object({ notes: freeText(2000).nullish() }).nullish(),
        response: { ...errorResponses(400, 401, 403, 404), 200: starSchema },
      },
      onRequest: deps.auth.require('media:list'),
    },
    async (request) => {
      const media = await readable(request, request.params.id);
      const star = await deps.bookmarks.star(
        principalOf(request).accountId,
        media.id,
        request.body?.notes ?? null,
      );
      return { media_id: media.id, is_starred: true, notes: star.notes, starred_at: iso(star.starred_at) };
    },
  );
}
