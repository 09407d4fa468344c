import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { removeMediaBlobs } from '../../media/blob-cleanup.js';
import { hasControlCharacters } from '../../media/mime-policy.js';
import { principalOf } from '../auth.js';
import {
  booleanQuery,
  errorResponses,
  folderJson,
  folderSchema,
  idParams,
  mediaJson,
  mediaSchema,
  pageMeta,
  paged,
  paginationQuery,
  uuidSchema,
  visibilitySchema,
} from '../schemas.js';

const folderName = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine(
    (name) => !hasControlCharacters(name) && !name.includes('/'),
    'must not contain "/" or control characters',
  )
  .refine((name) => name !== '.' && name !== '..', 'must not be "." or ".."');

export async function folderRoutes(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/folders',
    {
      schema: {
        tags: ['folders'],
        operationId: 'createFolder',
        summary: 'Create Folder',
        description:
          'Creates a folder owned by the caller. If `parent_id` is provided, the folder is nested under that parent and inherits a `depth` of `parent.depth + 1`. The DB enforces sibling-name uniqueness — duplicates return HTTP 409.',
        body: z.object({
          name: folderName,
          parent_id: uuidSchema.nullish(),
          visibility: visibilitySchema.default('private'),
        }),
        response: { ...errorResponses(400, 401, 403, 404, 409), 201: folderSchema },
      },
      onRequest: deps.auth.require('folder:create'),
    },
    async (request, reply) => {
      const folder = await deps.folders.create(principalOf(request), {
        id: randomUUID(),
        name: request.body.name,
        parentId: request.body.parent_id ?? null,
        visibility: request.body.visibility,
      });
      return reply.status(201).send(folderJson(folder));
    },
  );

  routes.get(
    '/folders',
    {
      schema: {
        tags: ['folders'],
        operationId: 'listFolders',
        summary: 'List Folders',
        description:
          "Lists folders owned by the caller. Default scope is the current parent's children (or roots when `parent_id` is omitted). Set `recursive=true` to flatten the entire subtree.",
        querystring: z.object({
          parent_id: uuidSchema.optional(),
          recursive: booleanQuery,
          sort: z.enum(['name', 'created_at', 'updated_at']).default('name'),
          order: z.enum(['asc', 'desc']).default('asc'),
        }),
        response: {
          ...errorResponses(400, 401, 403, 404),
          200: z.object({ items: z.array(folderSchema), total: z.number().int() }),
        },
      },
      onRequest: deps.auth.require('folder:list'),
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query;
      if (q.parent_id !== undefined && !(await deps.folders.findOwned(q.parent_id, principal))) {
        throw mediaErrors.folderNotFound();
      }
      const folders = await deps.folders.list(principal, {
        parentId: q.parent_id,
        recursive: q.recursive,
        sort: q.sort,
        order: q.order,
      });
      return { items: folders.map(folderJson), total: folders.length };
    },
  );

  routes.patch(
    '/folders/:id',
    {
      schema: {
        tags: ['folders'],
        operationId: 'renameFolder',
        summary: 'Rename Folder',
        description:
          'Renames a folder (`name`); `parent_id` (a folder id, or null for the top level) also moves it. Root folders cannot be renamed.',
        params: idParams,
        body: z
          .object({ name: folderName.optional(), parent_id: uuidSchema.nullish() })
          .refine(
            (body) => body.name !== undefined || body.parent_id !== undefined,
            'name or parent_id is required',
          ),
        response: { ...errorResponses(400, 401, 403, 404, 409), 200: folderSchema },
      },
      onRequest: deps.auth.require('folder:update'),
    },
    async (request) => {
      const folder = await deps.folders.update(request.params.id, principalOf(request), {
        name: request.body.name,
        parentId: request.body.parent_id,
      });
      if (!folder) throw mediaErrors.folderNotFound();
      return folderJson(folder);
    },
  );

  const contentItem = z.union([
    folderSchema.extend({ type: z.literal('folder') }),
    mediaSchema.extend({ type: z.literal('media') }),
  ]);

  routes.get(
    '/folders/:id/contents',
    {
      schema: {
        tags: ['folders'],
        operationId: 'listFolderContents',
        summary: 'List Folder Contents',
        description:
          'Returns the immediate children: subfolders and media files in a single paginated response. Useful for a Drive-style file browser UI.',
        params: idParams,
        querystring: paginationQuery,
        response: {
          ...errorResponses(400, 401, 403, 404),
          200: z.object({
            folder: folderSchema,
            items: z.array(contentItem),
            ...pageMeta,
            counts: z.object({ folders: z.number().int(), media: z.number().int() }),
          }),
        },
      },
      onRequest: deps.auth.require('folder:list'),
    },
    async (request) => {
      const folder = await deps.folders.findOwned(request.params.id, principalOf(request));
      if (!folder) throw mediaErrors.folderNotFound();
      const { page, per_page: perPage } = request.query;
      const contents = await deps.folders.contents(folder.id, page, perPage);
      const items = contents.items.map((item) =>
        item.type === 'folder'
          ? { type: 'folder' as const, ...folderJson(item) }
          : { type: 'media' as const, ...mediaJson(item) },
      );
      return {
        folder: folderJson(folder),
        ...paged(items, contents.total, page, perPage),
        counts: { folders: contents.folders, media: contents.media },
      };
    },
  );

  routes.delete(
    '/folders/:id',
    {
      schema: {
        tags: ['folders'],
        operationId: 'deleteFolder',
        summary: 'Delete Folder',
        description:
          'Deletes the folder. The non-force path requires the folder to be empty (no media, no subfolders) and returns HTTP 412 if it is not. With `force=true` the entire subtree is purged: for every media in the subtree, all derived variant blobs (medium /high/low) are removed first, then the original blob, then the media row; finally the folder rows cascade. Variant cleanup failures are logged but never abort the purge — same reasoning as the single-media delete endpoint.',
        params: idParams,
        querystring: z.object({ force: booleanQuery }),
        response: {
          ...errorResponses(400, 401, 403, 404, 412),
          200: z.object({
            deleted: z.literal(true),
            folder_id: z.string(),
            deleted_items: z.object({ folders: z.number().int(), media: z.number().int() }),
            freed_bytes: z.number().int(),
          }),
        },
      },
      onRequest: deps.auth.require('folder:delete'),
    },
    async (request) => {
      const removed = await deps.folders.delete(
        request.params.id,
        principalOf(request),
        request.query.force,
        (trx, media, variants) => deps.scheduleBlobDeletion(trx, media, variants),
      );
      if (!removed) throw mediaErrors.folderNotFound();
      // At once; the job sent with the delete retries whatever this misses.
      await removeMediaBlobs(deps.objects, request.log, removed.media, removed.variants);
      return {
        deleted: true as const,
        folder_id: request.params.id,
        deleted_items: { folders: removed.folders, media: removed.media.length },
        freed_bytes: removed.media.reduce((sum, row) => sum + row.size_bytes, 0),
      };
    },
  );
}
