import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { VerifactDeps } from '../../composition.js';
import { errors } from '../../errors.js';
import { triageJson } from '../../triage/triage.js';
import { principalOf, meta } from '../auth.js';
import { readPhotoForm } from '../multipart.js';
import { errorResponses, triageResultSchema } from '../schemas.js';

export function triageRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/v1/triage',
      {
        schema: {
          tags: ['Verification'],
          summary: 'Risk-score an inbound claimant photo',
          operationId: 'triagePhoto',
          consumes: ['multipart/form-data'],
          response: { ...errorResponses(400, 401, 403, 429), 200: triageResultSchema },
        },
        config: {
          access: {
            operation: 'verifact.triage.create',
            requirement: { scope: 'verify' },
            rateLimited: true,
          },
        },
      },
      async (request) => {
        const form = await readPhotoForm(request, deps.config.maxPhotoBytes, ['claimId']);
        if (!form.photo) throw errors.validation('photo: a file field named photo is required');
        const row = await deps.triage.triage(principalOf(request).tenant, {
          bytes: form.photo.parts.whole(),
          ...(form.fields.claimId ? { claimId: form.fields.claimId } : {}),
        });
        return { ...triageJson(row), _meta: meta(request) };
      },
    );
  };
}
