import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { appErrorSchema } from '../schemas.js';

/** `POST /api/billing/webhooks/{provider}` (extension): the payment provider's signed events. */
export function billingWebhookRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    // The signature covers the exact bytes: the body is kept raw, whatever its type.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1_048_576 }, (_request, body, done) =>
      done(null, body),
    );
    app.withTypeProvider<ZodTypeProvider>().post(
      '/api/billing/webhooks/:provider',
      {
        schema: {
          tags: ['Billing'],
          summary: "Payment provider's webhook",
          operationId: 'billingWebhook',
          'x-extension': true,
          description:
            'The only way billing state changes. `sandbox`: `Backlex-Sandbox-Signature: t=…,v1=HMAC-SHA256(secret, "t.body")`; `stripe`: `Stripe-Signature`, checked with `stripe.webhooks.constructEvent`. Unsigned, forged or stale → 400 `INVALID_WEBHOOK`; a provider that is not the configured one → 404; each event id is applied once (a repeat answers `duplicate: true`); 503 when the provider did not answer a lookup the event needs (it retries).',
          // Public: the provider authenticates by its signature.
          security: [],
          params: z.object({ provider: z.string().min(1).max(20) }),
          response: {
            400: appErrorSchema,
            404: appErrorSchema,
            503: appErrorSchema,
            200: z.object({ received: z.boolean(), duplicate: z.boolean() }),
          },
        },
      },
      async (request) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        return deps.billing.handleWebhook(request.params.provider, body, request.headers);
      },
    );
  };
}
