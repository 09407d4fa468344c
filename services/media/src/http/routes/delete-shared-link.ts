import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { principalOf } from '../auth.js';
import { errorResponses, idParams } from '../schemas.js';

export async function deleteSharedLinkRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.delete(
    '/shared-links/:id',
    {
      schema: {
        tags: ['shared-links'],
        operationId: 'deleteSharedLink',
        summary: 'Delete Shared Link',
        description:
          "Revokes a link: later `GET /share/:token` requests return 404; the media file is unaffected. Its creator may, and so may the owner of the media it points to (extension: an owner can end links organization members made to the owner's files).",
        params: idParams,
        response: {
          ...errorResponses(400, 401, 403, 404),
          200: z.object({ deleted: z.literal(true), id: z.string() }),
        },
      },
      onRequest: deps.auth.require('media:download'),
    },
    async (request) => {
      await deps.sharing.delete(principalOf(request), request.params.id);
      return { deleted: true as const, id: request.params.id };
    },
  );
}
