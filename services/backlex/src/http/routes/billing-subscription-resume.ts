import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';
import { subscriptionStateSchema } from './billing-subscription-cancel.js';

export function resumeSubscriptionRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/org/:slug/billing/subscription/resume',
      {
        schema: {
          tags: ['Billing'],
          summary: 'Resume a subscription cancelled within its grace period',
          operationId: 'resumeSubscription',
          description: 'Owners. Only before `endsAt`; once it has passed → 409 `SUBSCRIPTION_ENDED`.',
          params: slugParams,
          response: { ...errorResponses, 200: subscriptionStateSchema },
        },
        config: { orgOperation: 'billing.resume' },
      },
      async (request) => deps.billing.resume(orgAccessOf(request)),
    );
  };
}
