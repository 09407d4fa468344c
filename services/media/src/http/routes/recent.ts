import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { principalOf } from '../auth.js';
import { idParams, iso, mediaJson, mediaSchema } from '../schemas.js';

const DEFAULT_RECENT = 20;
const MAX_RECENT = 100;

export async function recentRoutes(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/recent',
    {
      schema: {
        tags: ['recent'],
        summary: 'List Recent Files',
        querystring: z.object({
          limit: z.coerce
            .number()
            .int()
            .min(1)
            .default(DEFAULT_RECENT)
            .transform((value) => Math.min(value, MAX_RECENT)),
        }),
        response: {
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

  routes.post(
    '/media/:id/track',
    {
      schema: {
        tags: ['recent'],
        summary: 'Track Access',
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

  routes.delete(
    '/recent',
    {
      schema: {
        tags: ['recent'],
        summary: 'Clear History',
        response: { 200: z.object({ cleared: z.literal(true), deleted: z.number().int() }) },
      },
      onRequest: deps.auth.require('media:list'),
    },
    async (request) => {
      const deleted = await deps.bookmarks.clearRecent(principalOf(request).accountId);
      return { cleared: true as const, deleted };
    },
  );
}
