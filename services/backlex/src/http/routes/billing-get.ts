import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

/** `Subscription` (fields fixed in the README). */
export const subscriptionSchema = z.object({
  id: z.string(),
  plan: z.string(),
  interval: z.string(),
  status: z.string(),
  provider: z.string(),
  amountCents: z.number().int(),
  currency: z.string(),
  currentPeriodStart: z.string(),
  currentPeriodEnd: z.string(),
  cancelAtPeriodEnd: z.boolean(),
  endsAt: z.string().nullable(),
  canceledAt: z.string().nullable(),
  failedPayments: z.number().int(),
  nextPaymentAttemptAt: z.string().nullable(),
  createdAt: z.string(),
});

/** `Invoice` (fields fixed in the README). */
export const invoiceSchema = z.object({
  id: z.string(),
  number: z.string(),
  kind: z.string(),
  description: z.string(),
  amountCents: z.number().int(),
  currency: z.string(),
  status: z.string(),
  periodStart: z.string().nullable(),
  periodEnd: z.string().nullable(),
  attempts: z.number().int(),
  createdAt: z.string(),
  paidAt: z.string().nullable(),
});

const snapshotSchema = z.object({
  plan: z.string(),
  subscription: subscriptionSchema.nullable(),
  invoices: z.array(invoiceSchema),
  packs: z.array(
    z.object({
      id: z.string(),
      type: z.string(),
      quantity: z.number(),
      unitsPerPack: z.number(),
      status: z.string(),
      invoiceId: z.string(),
      periodStart: z.string(),
      periodEnd: z.string(),
      createdAt: z.string(),
    }),
  ),
  topups: z.array(z.object({ type: z.string(), units: z.number() })),
  enforcement: z.object({ requestThrottled: z.boolean(), storageReadOnly: z.boolean() }),
  paymentMethod: z
    .object({
      cardBrand: z.string().nullable(),
      cardLastFour: z.string().nullable(),
      renewsAt: z.string().nullable(),
      status: z.string().nullable(),
      customerPortalUrl: z.string().nullable(),
      updatePaymentMethodUrl: z.string().nullable(),
    })
    .nullable(),
});

export function getBillingRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/billing',
      {
        schema: {
          tags: ['Billing'],
          summary: 'Billing snapshot: plan, subscription, invoices',
          operationId: 'getBilling',
          description:
            'Admins. `subscription` null when the org never paid for a plan; `invoices` and `packs` newest first (100 each); `topups` = units packs add to the current period, per type; `paymentMethod` null until a card was saved.',
          params: slugParams,
          response: { ...errorResponses, 200: snapshotSchema },
        },
        config: { orgOperation: 'billing.get' },
      },
      async (request) => deps.billing.snapshot(orgAccessOf(request)),
    );
  };
}
