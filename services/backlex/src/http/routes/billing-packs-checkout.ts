import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { USAGE_TYPES } from '../../billing/plan-catalogue.js';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function packCheckoutRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/billing/packs/checkout',
      {
        schema: {
          tags: ['Billing'],
          summary: 'Start a hosted checkout for a prepaid usage pack',
          operationId: 'packCheckout',
          description:
            "Owners. One pack adds its `unitsPerPack` to the current period's allowance once the provider's signed webhook confirms the payment.",
          params: slugParams,
          body: z.object({ type: z.enum(USAGE_TYPES) }),
          response: { ...errorResponses, 200: z.object({ url: z.string() }) },
        },
        config: { orgOperation: 'billing.packCheckout' },
      },
      async (request) => deps.billing.packCheckout(orgAccessOf(request), request.body),
    );
  };
}
