import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { principalOf } from '../auth.js';
import { errorResponses, folderJson, folderSchema, uuidSchema, visibilitySchema } from '../schemas.js';
import { folderName } from './folder-schemas.js';

export async function createFolderRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
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
}
