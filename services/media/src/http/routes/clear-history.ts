import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { principalOf } from '../auth.js';
import { errorResponses } from '../schemas.js';

export async function clearHistoryRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.delete(
    '/recent',
    {
      schema: {
        tags: ['recent'],
        operationId: 'clearHistory',
        summary: 'Clear History',
        description:
          "Wipes the caller's entire recent-files history. The underlying media files are untouched.",
        response: {
          ...errorResponses(401, 403),
          200: z.object({ cleared: z.literal(true), deleted: z.number().int() }),
        },
      },
      onRequest: deps.auth.require('media:list'),
    },
    async (request) => {
      const deleted = await deps.bookmarks.clearRecent(principalOf(request).accountId);
      return { cleared: true as const, deleted };
    },
  );
}
