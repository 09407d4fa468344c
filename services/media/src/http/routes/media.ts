import { binaryBody } from '@trustplane/kernel';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { removeMediaBlobs } from '../../media/blob-cleanup.js';
import { hasControlCharacters } from '../../media/mime-policy.js';
import { parseVariant, VARIANT_VALUES } from '../../media/variants.js';
import { optionalPrincipalOf, principalOf } from '../auth.js';
import {
  errorResponses,
  fileTypeSchema,
  freeText,
  idParams,
  mediaJson,
  mediaSchema,
  pageMeta,
  paged,
  paginationQuery,
  uuidSchema,
  visibilitySchema,
} from '../schemas.js';
import { sendMedia } from '../send-media.js';

const listQuery = paginationQuery.extend({
  folder_id: uuidSchema.optional(),
  visibility: visibilitySchema.optional(),
  file_type: fileTypeSchema.optional(),
  search: freeText(255).optional(),
  sort: z.enum(['created_at', 'name', 'size', 'updated_at']).default('created_at'),
  order: z.enum(['asc', 'desc']).default('desc'),
});

export async function mediaRoutes(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/media',
    {
      schema: {
        tags: ['media'],
        operationId: 'listMedia',
        summary: 'List Media',
        description:
          'Paginated listing. Supports filtering by folder, visibility, file type, and a search term applied to `original_name`. The search input is parameterised at the SQL layer.',
        querystring: listQuery,
        response: {
          ...errorResponses(400, 401, 403),
          200: z.object({
            items: z.array(mediaSchema),
            ...pageMeta,
            quota: z.object({ used_bytes: z.number().int(), max_bytes: z.number().int() }),
          }),
        },
      },
      onRequest: deps.auth.require('media:list'),
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query;
      const [{ items, total }, usage] = await Promise.all([
        deps.media.list(principal, {
          folderId: q.folder_id,
          visibility: q.visibility,
          fileType: q.file_type,
          search: q.search,
          sort: q.sort,
          order: q.order,
          page: q.page,
          perPage: q.per_page,
        }),
        deps.media.usage(principal.accountId),
      ]);
      return {
        ...paged(items.map(mediaJson), total, q.page, q.per_page),
        quota: { used_bytes: usage.usedBytes, max_bytes: usage.maxBytes },
      };
    },
  );

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
      const blob =
        variant === 'original'
          ? {
              key: media.storage_path,
              size: media.size_bytes,
              mime: media.mime_type,
              checksum: media.checksum,
            }
          : await deps.variants.ensure(media, variant).then((row) => ({
              key: row.storage_path,
              size: row.size_bytes,
              mime: row.mime_type,
              checksum: row.checksum,
            }));
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

  routes.get(
    '/media/:id/info',
    {
      schema: {
        tags: ['media'],
        operationId: 'getMediaInfo',
        summary: 'Get Media Info',
        description:
          'Returns the metadata only (no bytes). Useful for clients that want size/MIME/checksum without paying for the download.',
        params: idParams,
        response: { ...errorResponses(400, 401, 403, 404), 200: mediaSchema },
      },
      onRequest: deps.auth.optional('media:download'),
    },
    async (request) => {
      const media = await deps.media.findReadable(request.params.id, optionalPrincipalOf(request));
      if (!media)
        throw optionalPrincipalOf(request) ? mediaErrors.mediaNotFound() : mediaErrors.unauthenticated();
      return mediaJson(media);
    },
  );

  routes.patch(
    '/media/:id',
    {
      schema: {
        tags: ['media'],
        operationId: 'renameMedia',
        summary: 'Rename Media',
        description:
          'Updates the user-facing `original_name`. The on-disk filename is unchanged; only the display name is rewritten.',
        params: idParams,
        body: z.object({
          original_name: z
            .string()
            .trim()
            .min(1)
            .max(255)
            .refine(
              (name) => !hasControlCharacters(name) && !/[/\\]/.test(name),
              'must not contain "/", "\\" or control characters',
            ),
        }),
        response: { ...errorResponses(400, 401, 403, 404), 200: mediaSchema },
      },
      onRequest: deps.auth.require('media:update'),
    },
    async (request) => {
      const media = await deps.media.rename(
        request.params.id,
        principalOf(request),
        request.body.original_name,
      );
      if (!media) throw mediaErrors.mediaNotFound();
      return mediaJson(media);
    },
  );

  routes.patch(
    '/media/:id/visibility',
    {
      schema: {
        tags: ['media'],
        operationId: 'updateMediaVisibility',
        summary: 'Update Media Visibility',
        description:
          "Switches the media row's visibility level. Does not propagate to shared links; existing tokens keep working until they expire or are deleted.",
        params: idParams,
        body: z.object({ visibility: visibilitySchema }),
        response: { ...errorResponses(400, 401, 403, 404), 200: mediaSchema },
      },
      onRequest: deps.auth.require('media:update'),
    },
    async (request) => {
      const media = await deps.media.setVisibility(
        request.params.id,
        principalOf(request),
        request.body.visibility,
      );
      if (!media) throw mediaErrors.mediaNotFound();
      return mediaJson(media);
    },
  );

  routes.delete(
    '/media/:id',
    {
      schema: {
        tags: ['media'],
        operationId: 'deleteMedia',
        summary: 'Delete Media',
        description:
          "Removes every blob (original + each derived variant) from storage, then deletes the `media` row. The matching `media_variants` rows go away via FK cascade. A `StorageError::NotFound` is tolerated per file so retries on a partially-failed delete are idempotent. A failure cleaning a single variant blob is logged but does not abort the delete — the user's media still goes away; worst case is one orphan blob on disk. Operators can sweep orphans by walking the storage directory and reconciling against `media_variants.storage_path`.",
        params: idParams,
        response: {
          ...errorResponses(400, 401, 403, 404),
          200: z.object({
            deleted: z.literal(true),
            media_id: z.string(),
            filename: z.string(),
            freed_bytes: z.number().int(),
          }),
        },
      },
      onRequest: deps.auth.require('media:delete'),
    },
    async (request) => {
      const removed = await deps.media.deleteOwned(
        request.params.id,
        principalOf(request),
        (trx, media, variants) => deps.scheduleBlobDeletion(trx, [media], variants),
      );
      if (!removed) throw mediaErrors.mediaNotFound();
      // At once; the job sent with the delete retries whatever this misses.
      await removeMediaBlobs(deps.objects, request.log, [removed.media], removed.variants);
      return {
        deleted: true as const,
        media_id: removed.media.id,
        filename: removed.media.filename,
        freed_bytes: removed.media.size_bytes,
      };
    },
  );
}
