import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VerifactDeps } from '../../composition.js';
import { principalOf, meta, metaSchema } from '../auth.js';
import { errorResponses } from '../schemas.js';

export const planResponse = z.object({
  billingMode: z.enum(['per_claim', 'per_year']),
  pricePerClaim: z.number(),
  monthlyCap: z.object({
    mode: z.enum(['hard', 'soft', 'alert']),
    limit: z.number().int().nullable(),
    used: z.number().int(),
    remaining: z.number().int().nullable(),
    overCap: z.boolean(),
    blocked: z.boolean(),
  }),
  billingStatus: z.enum(['current', 'due', 'grace', 'suspended']),
  billingGraceDays: z.number().int(),
  annualPlan: z.object({ active: z.boolean(), start: z.string().nullable(), end: z.string().nullable() }),
  billingCycle: z.string(),
  tenant: z.object({ insurerCode: z.string(), name: z.string(), tier: z.string() }),
  _meta: metaSchema,
});

export function planRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/plan',
      {
        schema: {
          tags: ['Plan'],
          summary: "Get this tenant's commercial plan",
          operationId: 'getPlan',
          response: { ...errorResponses(401, 403, 429), 200: planResponse },
        },
        config: {
          access: {
            operation: 'verifact.plan.get',
            requirement: { scope: 'claims:read' },
            rateLimited: true,
          },
        },
      },
      async (request) => {
        const plan = await deps.billing.plan(principalOf(request).tenant);
        return { ...plan, _meta: meta(request) };
      },
    );
  };
}
