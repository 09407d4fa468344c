import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { principalOf } from '../auth.js';
import { booleanQuery, errorResponses, folderJson, folderSchema, uuidSchema } from '../schemas.js';

export async function listFoldersRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
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
}
