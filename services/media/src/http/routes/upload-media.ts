import { finished } from 'node:stream/promises';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { principalOf } from '../auth.js';
import { errorResponses, mediaJson, mediaSchema, uuidSchema, visibilitySchema } from '../schemas.js';

export async function uploadMediaRoute(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/upload',
    {
      schema: {
        tags: ['upload'],
        operationId: 'uploadMedia',
        summary: 'Upload Media',
        description: 'Streams one multipart part named `file` into storage (see the service README).',
        consumes: ['multipart/form-data'],
        querystring: z.object({
          folder_id: uuidSchema.optional(),
          visibility: visibilitySchema.default('organization'),
        }),
        response: { ...errorResponses(400, 401, 403, 404, 413, 415), 201: mediaSchema },
      },
      onRequest: deps.auth.require('media:upload'),
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const bodyReceived = finished(request.raw);
      bodyReceived.catch(() => undefined); // observed by the upload service; never unhandled
      if (!request.isMultipart()) {
        throw mediaErrors.multipartRequired();
      }
      let part: MultipartFile | undefined;
      try {
        part = await request.file();
      } catch (error) {
        throw mediaErrors.invalidMultipart(`Malformed multipart body: ${(error as Error).message}`);
      }
      if (part?.fieldname !== 'file') throw mediaErrors.missingFile();
      const media = await deps.upload.upload(
        { principal, folderId: request.query.folder_id, visibility: request.query.visibility },
        { file: part.file, filename: part.filename, mimetype: part.mimetype, bodyReceived },
      );
      return reply.status(201).send(mediaJson(media));
    },
  );
}
