import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { VerifactDeps } from '../../composition.js';
import { principalOf, meta, metaSchema } from '../auth.js';
import { claimDetailSchema, errorResponses, idParams } from '../schemas.js';

export function getClaimRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/claims/:id',
      {
        schema: {
          tags: ['Claims'],
          summary: 'Get claim detail',
          operationId: 'getClaim',
          params: idParams,
          response: {
            ...errorResponses(401, 403, 404, 429),
            200: claimDetailSchema.extend({ _meta: metaSchema }),
          },
        },
        config: {
          access: {
            operation: 'verifact.claims.get',
            requirement: { scope: 'claims:read' },
            rateLimited: true,
          },
        },
      },
      async (request) => ({
        ...(await deps.claims.detail(principalOf(request).tenant, request.params.id)),
        _meta: meta(request),
      }),
    );
  };
}
