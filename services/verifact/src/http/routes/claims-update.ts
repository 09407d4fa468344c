import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VerifactDeps } from '../../composition.js';
import { principalOf, meta, metaSchema } from '../auth.js';
import { errorResponses, idParams } from '../schemas.js';

const body = z.object({
  status: z.enum(['pending', 'under_review', 'approved', 'rejected']),
  settledAmount: z.number().min(0).max(1e13).optional(),
});

export function updateClaimRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().patch(
      '/api/v1/claims/:id',
      {
        schema: {
          tags: ['Claims'],
          summary: 'Update claim status',
          operationId: 'updateClaimStatus',
          description:
            'pending → under_review bills claim_set_billed once per claim; under_review → approved | rejected; the same status is a no-op. A hard monthly cap answers 402.',
          params: idParams,
          body,
          response: {
            ...errorResponses(400, 401, 402, 403, 404, 429),
            200: z.object({ id: z.string(), status: z.string(), updatedAt: z.string(), _meta: metaSchema }),
          },
        },
        config: {
          access: {
            operation: 'verifact.claims.update',
            requirement: { scope: 'claims:write' },
            rateLimited: true,
          },
        },
      },
      async (request, reply) => {
        const { claim, warning } = await deps.claims.updateStatus(
          principalOf(request).tenant,
          request.params.id,
          request.body,
        );
        if (warning) reply.header('Warning', warning);
        return {
          id: claim.id,
          status: claim.status,
          updatedAt: claim.updated_at.toISOString(),
          _meta: meta(request),
        };
      },
    );
  };
}
