import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VerifactDeps } from '../../composition.js';
import { principalOf, meta, metaSchema } from '../auth.js';
import { claimSummarySchema, errorResponses } from '../schemas.js';

const query = z.object({
  status: z.enum(['pending', 'under_review', 'approved', 'rejected', 'siu_flagged']).optional(),
  surveyorId: z.string().min(1).max(64).optional(),
  updatedSince: z.iso.datetime({ offset: true }).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export function listClaimsRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/claims',
      {
        schema: {
          tags: ['Claims'],
          summary: 'List claims',
          operationId: 'listClaims',
          description:
            'Ordered by updatedAt then id. updatedAt rises per tenant in commit order: pass the highest one seen as updatedSince to poll without gaps.',
          querystring: query,
          response: {
            ...errorResponses(401, 403, 429),
            200: z.object({
              data: z.array(claimSummarySchema),
              meta: z.object({
                total: z.number().int(),
                page: z.number().int(),
                limit: z.number().int(),
                pages: z.number().int(),
              }),
              _meta: metaSchema,
            }),
          },
        },
        config: {
          access: {
            operation: 'verifact.claims.list',
            requirement: { scope: 'claims:read' },
            rateLimited: true,
          },
        },
      },
      async (request) => {
        const { updatedSince, ...rest } = request.query;
        const result = await deps.claims.list(principalOf(request).tenant, {
          ...rest,
          ...(updatedSince ? { updatedSince: new Date(updatedSince) } : {}),
        });
        return { ...result, _meta: meta(request) };
      },
    );
  };
}
