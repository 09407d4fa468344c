import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BILLING_INTERVALS, PAID_PLAN_IDS } from '../../billing/plan-catalogue.js';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

const checkoutInput = z.object({
  plan: z.enum(PAID_PLAN_IDS),
  interval: z.enum(BILLING_INTERVALS).default('monthly'),
});

export function checkoutRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/billing/checkout',
      {
        schema: {
          tags: ['Billing'],
          summary: 'Start a hosted checkout for a paid plan',
          operationId: 'checkout',
          description:
            "Owners. Nothing changes until the provider's signed webhook confirms the payment; the same plan and interval as the live subscription is 409.",
          params: slugParams,
          body: checkoutInput,
          response: { ...errorResponses, 200: z.object({ url: z.string() }) },
        },
        config: { orgOperation: 'billing.checkout' },
      },
      async (request) => deps.billing.checkout(orgAccessOf(request), request.body),
    );
  };
}
