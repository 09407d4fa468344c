import { binaryBody } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VerifactDeps } from '../../composition.js';
import { errors } from '../../errors.js';
import { etagMatches, safeFilename } from '../../photos/photos.js';
import { principalOf } from '../auth.js';
import { errorResponses, idParams } from '../schemas.js';

export function downloadPhotoRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/photos/:id/download',
      {
        schema: {
          tags: ['Photos'],
          summary: "Download a photo's bytes",
          operationId: 'downloadPhoto',
          params: idParams,
          response: {
            200: {
              description: 'Photo bytes',
              content: {
                'image/jpeg': { schema: binaryBody },
                'image/png': { schema: binaryBody },
                'image/heic': { schema: binaryBody },
              },
            },
            304: z.undefined().describe('Not modified (If-None-Match matched ETag)'),
            ...errorResponses(401, 403, 404, 429, 502),
          },
        },
        config: {
          access: {
            operation: 'verifact.photos.download',
            requirement: { scope: 'claims:read' },
            rateLimited: true,
          },
        },
      },
      async (request, reply) => {
        const tenant = principalOf(request).tenant;
        const photo = await deps.photoRepository.byId(tenant.id, request.params.id);
        if (!photo) throw errors.notFound('Photo');
        const etag = `"${photo.sha256}"`;
        reply.header('ETag', etag);
        if (etagMatches(request.headers['if-none-match'], etag)) return reply.status(304).send();
        const body = await deps.photos.open(tenant, photo);
        const name = safeFilename(photo.filename);
        return reply
          .status(200)
          .type(photo.content_type)
          .header('Content-Length', String(photo.size_bytes))
          .header('Content-Disposition', `attachment; filename="${name}"`)
          .header('Cache-Control', 'private, no-cache')
          .send(body);
      },
    );
  };
}
