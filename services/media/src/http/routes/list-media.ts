import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { principalOf } from '../auth.js';
import {
  errorResponses,
  fileTypeSchema,
  freeText,
  mediaJson,
  mediaSchema,
  pageMeta,
  paged,
  paginationQuery,
  uuidSchema,
  visibilitySchema,
} from '../schemas.js';

const listQuery = paginationQuery.extend({
  folder_id: uuidSchema.optional(),
  visibility: visibilitySchema.optional(),
  file_type: fileTypeSchema.optional(),
  search: freeText(255).optional(),
  sort: z.enum(['created_at', 'name', 'size', 'updated_at']).default('created_at'),
  order: z.enum(['asc', 'desc']).default('desc'),
});

export async function listMediaRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
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
}
