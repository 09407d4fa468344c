import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { principalOf } from '../auth.js';
import {
  errorResponses,
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
        operationId: 'listStarred',
        summary: 'List Starred',
        description:
          "Lists the caller's starred media in reverse-chronological order (most recently starred first). Each item includes the underlying media metadata plus `starred_at` and `notes`.",
        querystring: paginationQuery,
        response: {
          ...errorResponses(400, 401, 403),
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

  routes.delete(
    '/media/:id/star',
    {
      schema: {
        tags: ['starred'],
        operationId: 'unstarFile',
        summary: 'Unstar File',
        description: 'Removes the star. Idempotent — unstarring an already-unstarred file returns success.',
        params: idParams,
        response: { ...errorResponses(400, 401, 403), 200: starSchema },
      },
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
        operationId: 'toggleStar',
        summary: 'Toggle Star',
        description:
          'Convenience endpoint that flips the star state. Useful for UIs that bind a single button to "star/unstar" without tracking current state client-side.',
        params: idParams,
        response: {
          ...errorResponses(400, 401, 403, 404),
          200: z.object({ media_id: z.string(), is_starred: z.boolean() }),
        },
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
        operationId: 'checkStarStatusBulk',
        summary: 'Check Star Status (Bulk)',
        description:
          'Bulk lookup: given a list of media IDs, returns which ones the caller has starred. Lets a list view annotate every row in one round-trip.',
        body: z.object({ media_ids: z.array(uuidSchema).max(MAX_BULK_CHECK) }),
        response: {
          ...errorResponses(400, 401, 403),
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
