import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { principalOf } from '../auth.js';
import { errorResponses, folderJson, folderSchema, idParams, uuidSchema } from '../schemas.js';
import { folderName } from './folder-schemas.js';

export async function renameFolderRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
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
}
