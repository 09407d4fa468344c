import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VerifactDeps } from '../../composition.js';
import { principalOf, meta, metaSchema } from '../auth.js';
import { claimDetailSchema, errorResponses } from '../schemas.js';

const text = (max: number) => z.string().trim().min(1).max(max);

const body = z.object({
  claimNumber: text(100),
  policyNumber: text(100),
  claimType: z.enum(['motor', 'property', 'crop', 'health', 'other']),
  district: text(200),
  surveyorId: text(64),
  // Deprecated in the seed: accepted, ignored (the surveyor record's name is authoritative).
  surveyorName: z.string().optional(),
  description: z.string().max(10_000).optional(),
  estimatedAmount: z.number().min(0).max(1e13).optional(),
  adjusterId: text(64).optional(),
});

export function createClaimRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/v1/claims',
      {
        schema: {
          tags: ['Claims'],
          summary: 'Create a claim',
          operationId: 'createClaim',
          body,
          response: {
            ...errorResponses(400, 401, 403, 429),
            201: z.object({ claim: claimDetailSchema, _meta: metaSchema }),
          },
        },
        config: {
          access: {
            operation: 'verifact.claims.create',
            requirement: { scope: 'claims:write' },
            rateLimited: true,
          },
        },
      },
      async (request, reply) => {
        const { surveyorName: _ignored, ...input } = request.body;
        const claim = await deps.claims.create(principalOf(request).tenant, input);
        return reply.status(201).send({ claim, _meta: meta(request) });
      },
    );
  };
}
