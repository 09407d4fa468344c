import { finished } from 'node:stream/promises';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MediaDeps } from '../../composition.js';
import { mediaErrors } from '../../errors.js';
import { principalOf } from '../auth.js';
import { mediaJson, mediaSchema, uuidSchema, visibilitySchema } from '../schemas.js';

export async function uploadRoutes(app: FastifyInstance, { deps }: { deps: MediaDeps }) {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/upload',
    {
      schema: {
        tags: ['upload'],
        summary: 'Upload Media',
        description: 'Streams one multipart part named `file` into storage (see the service README).',
        consumes: ['multipart/form-data'],
        querystring: z.object({
          folder_id: uuidSchema.optional(),
          visibility: visibilitySchema.default('organization'),
        }),
        response: { 201: mediaSchema },
      },
      onRequest: deps.auth.require('media:upload'),
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const bodyReceived = finished(request.raw);
      bodyReceived.catch(() => undefined); // observed by the upload service; never unhandled
      if (!request.isMultipart()) {
        throw mediaErrors.badRequest('multipart_required', 'Send the file as multipart/form-data');
      }
      let part: MultipartFile | undefined;
      try {
        part = await request.file();
      } catch (error) {
        throw mediaErrors.badRequest(
          'invalid_multipart',
          `Malformed multipart body: ${(error as Error).message}`,
        );
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
