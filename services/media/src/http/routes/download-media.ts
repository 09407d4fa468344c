import { binaryBody } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { parseVariant, VARIANT_VALUES } from '../../media/variants.js';
import { optionalPrincipalOf } from '../auth.js';
import { errorResponses, idParams } from '../schemas.js';
import { sendMedia } from '../send-media.js';

export async function downloadMediaRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get(
    '/media/:id',
    {
      schema: {
        tags: ['media'],
        operationId: 'downloadMedia',
        summary: 'Download Media',
        description:
          'Streams the bytes. `public` media need no token. `?variant=` picks an image tier; `Range` is honoured for video.',
        params: idParams,
        querystring: z.object({
          variant: z
            .string()
            .optional()
            .describe(`${VARIANT_VALUES.join(' | ')}; aliases orig/raw, hi, med, lo`),
        }),
        response: {
          200: {
            description: "The file bytes (`Content-Type` is the file's own)",
            content: { '*/*': { schema: binaryBody } },
          },
          206: {
            description: 'The requested byte range (video)',
            content: { '*/*': { schema: binaryBody } },
          },
          ...errorResponses(400, 401, 403, 404, 416),
        },
      },
      onRequest: deps.auth.optional('media:download'),
    },
    async (request, reply) => {
      const variant = parseVariant(request.query.variant);
      const media = await deps.media.findReadable(request.params.id, optionalPrincipalOf(request));
      if (!media)
        throw optionalPrincipalOf(request) ? mediaErrors.mediaNotFound() : mediaErrors.unauthenticated();
      const blob = await deps.variants.blob(media, variant);
      return sendMedia(reply, {
        objects: deps.objects,
        logger: request.log,
        media,
        key: blob.key,
        size: blob.size,
        mimeType: blob.mime,
        checksum: blob.checksum,
        rangeHeader: request.headers.range,
        allowRanges: variant === 'original',
      });
    },
  );
}
