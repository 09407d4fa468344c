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
        summary: 'Create Folder',
        body: z.object({
          name: folderName,
          parent_id: uuidSchema.nullish(),
          visibility: visibilitySchema.default('private'),
        }),
        response: { 201: folderSchema },
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
        summary: 'List Folders',
        querystring: z.object({
          parent_id: uuidSchema.optional(),
          recursive: booleanQuery,
          sort: z.enum(['name', 'created_at', 'updated_at']).default('name'),
          order: z.enum(['asc', 'desc']).default('asc'),
        }),
        response: { 200: z.object({ items: z.array(folderSchema), total: z.number().int() }) },
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
        response: { 200: folderSchema },
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
        summary: 'List Folder Contents',
        params: idParams,
        querystring: paginationQuery,
        response: {
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
        summary: 'Delete Folder',
        params: idParams,
        querystring: z.object({ force: booleanQuery }),
        response: {
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
      const removed = await deps.folders.delete(request.params.id, principalOf(request), request.query.force);
      if (!removed) throw mediaErrors.folderNotFound();
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
