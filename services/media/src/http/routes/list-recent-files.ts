import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { principalOf } from '../auth.js';
import { errorResponses, iso, mediaJson, mediaSchema } from '../schemas.js';

const DEFAULT_RECENT = 20;
const MAX_RECENT = 100;

export async function listRecentFilesRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get(
    '/recent',
    {
      schema: {
        tags: ['recent'],
        operationId: 'listRecentFiles',
        summary: 'List Recent Files',
        description:
          "Returns the caller's most recently accessed media, newest-first. Capped at the value the client requests (default applied server-side).",
        querystring: z.object({
          limit: z.coerce
            .number()
            .int()
            .min(1)
            .default(DEFAULT_RECENT)
            .transform((value) => Math.min(value, MAX_RECENT)),
        }),
        response: {
          ...errorResponses(400, 401, 403),
          200: z.object({
            items: z.array(mediaSchema.extend({ accessed_at: z.string(), access_type: z.string() })),
            limit: z.number().int(),
          }),
        },
      },
      onRequest: deps.auth.require('media:list'),
    },
    async (request) => {
      const items = await deps.bookmarks.listRecent(principalOf(request), request.query.limit);
      return {
        items: items.map((item) => ({
          ...mediaJson(item),
          accessed_at: iso(item.accessed_at),
          access_type: item.access_type,
        })),
        limit: request.query.limit,
      };
    },
  );
}
