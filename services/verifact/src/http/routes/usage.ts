import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VerifactDeps } from '../../composition.js';
import { errors } from '../../errors.js';
import { principalOf, meta, metaSchema } from '../auth.js';
import { errorResponses } from '../schemas.js';

const isoDate = z.iso.date({ message: 'must be a date (YYYY-MM-DD)' });

export const usageResponse = z.object({
  tenant: z.object({ insurerCode: z.string(), tier: z.string(), pricePerClaim: z.number() }),
  period: z.object({ from: z.string(), to: z.string() }),
  summary: z.object({
    tenantId: z.string(),
    totalEvents: z.number().int(),
    unbilledEvents: z.number().int(),
    totalAmount: z.number(),
    unbilledAmount: z.number(),
    byEvent: z.record(z.string(), z.object({ count: z.number().int(), amount: z.number() })),
  }),
  unbilled: z.object({
    count: z.number().int(),
    amount: z.number(),
    events: z.array(
      z.object({
        id: z.string(),
        event: z.string(),
        claimNumber: z.string().nullable(),
        unitPrice: z.number(),
        quantity: z.number().int(),
        createdAt: z.string(),
      }),
    ),
  }),
  _meta: metaSchema,
});

export function usageRoute(deps: VerifactDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/v1/usage',
      {
        schema: {
          tags: ['Usage'],
          summary: 'Get usage and billing summary',
          operationId: 'getUsage',
          description: 'Inclusive UTC dates; default: the current calendar month up to today.',
          querystring: z.object({ from: isoDate.optional(), to: isoDate.optional() }),
          response: { ...errorResponses(401, 403, 429), 200: usageResponse },
        },
        config: {
          access: {
            operation: 'verifact.usage.get',
            requirement: { scope: 'claims:read' },
            rateLimited: true,
          },
        },
      },
      async (request) => {
        const today = new Date().toISOString().slice(0, 10);
        const from = request.query.from ?? `${today.slice(0, 7)}-01`;
        const to = request.query.to ?? today;
        if (from > to) throw errors.validation('from must not be after to');
        const report = await deps.billing.usageReport(principalOf(request).tenant, from, to);
        return { ...report, _meta: meta(request) };
      },
    );
  };
}
