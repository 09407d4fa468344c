import { binaryBody } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { optionalPrincipalOf } from '../auth.js';
import { errorResponses } from '../schemas.js';
import { sendMedia } from '../send-media.js';

export async function accessSharedLinkRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get(
    '/share/:token',
    {
      schema: {
        tags: ['shared-links'],
        operationId: 'accessSharedLink',
        summary: 'Access Shared Link',
        description:
          'Public. The password may be sent as `?password=` (as documented) or, to keep it out of URLs and logs, as the `X-Share-Password` header.',
        params: z.object({ token: z.string().min(1).max(200) }),
        querystring: z.object({ password: z.string().max(200).optional() }),
        headers: z.object({ 'x-share-password': z.string().max(200).optional() }),
        response: {
          200: {
            description: "The file bytes (`Content-Type` is the file's own)",
            content: { '*/*': { schema: binaryBody } },
          },
          ...errorResponses(400, 401, 403, 404, 410, 429),
        },
      },
      onRequest: deps.auth.optional(),
    },
    async (request, reply) => {
      const password = request.headers['x-share-password'] ?? request.query.password;
      const { link, media } = await deps.sharing.resolve(
        request.params.token,
        optionalPrincipalOf(request),
        password,
      );
      return sendMedia(reply, {
        objects: deps.objects,
        logger: request.log,
        media,
        key: media.storage_path,
        size: media.size_bytes,
        mimeType: media.mime_type,
        checksum: media.checksum,
        rangeHeader: undefined,
        // Every request through a link counts against its cap, so ranges are not offered here.
        allowRanges: false,
        beforeSend: () => deps.sharing.claimDownload(link),
        cacheControl: 'private, no-store',
      });
    },
  );
}
