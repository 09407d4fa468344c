import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { principalOf } from '../auth.js';
import { errorResponses, idParams, iso } from '../schemas.js';

export async function trackAccessRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.post(
    '/media/:id/track',
    {
      schema: {
        tags: ['recent'],
        operationId: 'trackAccess',
        summary: 'Track Access',
        description:
          "Records an access event for the given media. Idempotent at the row level — repeated tracks update the existing row's timestamp instead of inserting duplicates.",
        params: idParams,
        body: z
          .object({
            access_type: z
              .string()
              .trim()
              .min(1)
              .max(32)
              .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only')
              .default('view'),
          })
          .nullish(),
        response: {
          ...errorResponses(400, 401, 403, 404),
          200: z.object({ media_id: z.string(), access_type: z.string(), accessed_at: z.string() }),
        },
      },
      onRequest: deps.auth.require('media:list'),
    },
    async (request) => {
      const principal = principalOf(request);
      const media = await deps.media.findReadable(request.params.id, principal);
      if (!media) throw mediaErrors.mediaNotFound();
      const row = await deps.bookmarks.track(
        principal.accountId,
        media.id,
        request.body?.access_type ?? 'view',
      );
      return { media_id: row.media_id, access_type: row.access_type, accessed_at: iso(row.accessed_at) };
    },
  );
}
