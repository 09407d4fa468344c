import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { principalOf } from '../auth.js';
import {
  freeText,
  idParams,
  iso,
  mediaJson,
  mediaSchema,
  pageMeta,
  paged,
  paginationQuery,
  uuidSchema,
} from '../schemas.js';

const MAX_BULK_CHECK = 100;

export async function starredRoutes(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
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

  routes.get(
    '/starred',
    {
      schema: {
        tags: ['starred'],
        summary: 'List Starred',
        querystring: paginationQuery,
        response: {
          200: z.object({
            items: z.array(mediaSchema.extend({ starred_at: z.string(), notes: z.string().nullable() })),
            ...pageMeta,
          }),
        },
      },
      onRequest: deps.auth.require('media:list'),
    },
    async (request) => {
      const { page, per_page: perPage } = request.query;
      const { items, total } = await deps.bookmarks.listStarred(principalOf(request), page, perPage);
      return paged(
        items.map((item) => ({ ...mediaJson(item), starred_at: iso(item.starred_at), notes: item.notes })),
        total,
        page,
        perPage,
      );
    },
  );

  routes.post(
    '/media/:id/star',
    {
      schema: {
        tags: ['starred'],
        summary: 'Star File',
        params: idParams,
        body: z.object({ notes: freeText(2000).nullish() }).nullish(),
        response: { 200: starSchema },
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

  routes.delete(
    '/media/:id/star',
    {
      schema: { tags: ['starred'], summary: 'Unstar File', params: idParams, response: { 200: starSchema } },
      onRequest: deps.auth.require('media:list'),
    },
    async (request) => {
      // Idempotent: unstarring something not starred (or no longer visible) still succeeds.
      await deps.bookmarks.unstar(principalOf(request).accountId, request.params.id);
      return { media_id: request.params.id, is_starred: false, notes: null, starred_at: null };
    },
  );

  routes.post(
    '/media/:id/toggle-star',
    {
      schema: {
        tags: ['starred'],
        summary: 'Toggle Star',
        params: idParams,
        response: { 200: z.object({ media_id: z.string(), is_starred: z.boolean() }) },
      },
      onRequest: deps.auth.require('media:list'),
    },
    async (request) => {
      const media = await readable(request, request.params.id);
      const starred = await deps.bookmarks.toggle(principalOf(request).accountId, media.id);
      return { media_id: media.id, is_starred: starred };
    },
  );

  routes.post(
    '/starred/check',
    {
      schema: {
        tags: ['starred'],
        summary: 'Check Star Status (Bulk)',
        body: z.object({ media_ids: z.array(uuidSchema).max(MAX_BULK_CHECK) }),
        response: {
          200: z.object({ items: z.array(z.object({ media_id: z.string(), is_starred: z.boolean() })) }),
        },
      },
      onRequest: deps.auth.require('media:list'),
    },
    async (request) => {
      const ids = request.body.media_ids;
      const starred = await deps.bookmarks.starredAmong(principalOf(request).accountId, ids);
      return { items: ids.map((id) => ({ media_id: id, is_starred: starred.has(id) })) };
    },
  );
}
