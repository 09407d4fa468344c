import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export const subscriptionStateSchema = z.object({
  status: z.string().nullable(),
  endsAt: z.string().nullable(),
});

export function cancelSubscriptionRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/billing/subscription/cancel',
      {
        schema: {
          tags: ['Billing'],
          summary: 'Cancel the active subscription at period end',
          operationId: 'cancelSubscription',
          description:
            'Owners. The plan stays until `endsAt` (the end of the paid period), then the org is on free; idempotent. No live paid subscription → 409.',
          params: slugParams,
          response: { ...errorResponses, 200: subscriptionStateSchema },
        },
        config: { orgOperation: 'billing.cancel' },
      },
      async (request) => deps.billing.cancel(orgAccessOf(request)),
    );
  };
}
