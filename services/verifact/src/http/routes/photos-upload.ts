import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VerifactDeps } from '../../composition.js';
import { errors } from '../../errors.js';
import { principalOf, meta, metaSchema } from '../auth.js';
import { readPhotoForm } from '../multipart.js';
import { errorResponses } from '../schemas.js';

export function uploadPhotoRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/v1/photos',
      {
        schema: {
          tags: ['Photos'],
          summary: 'Upload a signed photo',
          operationId: 'uploadPhoto',
          consumes: ['multipart/form-data'],
          response: {
            ...errorResponses(400, 401, 403, 404, 429),
            201: z.object({
              photoId: z.string(),
              claimId: z.string(),
              claimNumber: z.string(),
              filename: z.string(),
              fileHash: z.string(),
              verifyStatus: z.string(),
              uploadedAt: z.string(),
              hint: z.string(),
              _meta: metaSchema,
            }),
          },
        },
        config: {
          access: {
            operation: 'verifact.photos.upload',
            requirement: { scope: 'photos:write' },
            rateLimited: true,
          },
        },
      },
      async (request, reply) => {
        const form = await readPhotoForm(request, deps.config.maxPhotoBytes, ['claimId', 'claimNumber']);
        if (!form.photo) throw errors.validation('photo: a file field named photo is required');
        const { photo, claim } = await deps.photos.upload(principalOf(request).tenant, {
          bytes: form.photo.parts.whole(),
          filename: form.photo.filename,
          ...(form.fields.claimId ? { claimId: form.fields.claimId } : {}),
          ...(form.fields.claimNumber ? { claimNumber: form.fields.claimNumber } : {}),
        });
        return reply.status(201).send({
          photoId: photo.id,
          claimId: claim.id,
          claimNumber: claim.claim_number,
          filename: photo.filename,
          fileHash: photo.sha256,
          verifyStatus: photo.verify_status,
          uploadedAt: photo.uploaded_at.toISOString(),
          hint: 'Run POST /api/v1/verify with the same photo for the full manifest analysis.',
          _meta: meta(request),
        });
      },
    );
  };
}
