import type { IncomingHttpHeaders } from 'node:http';
import Stripe from 'stripe';
import {
  type BillingEvent,
  type BillingProvider,
  type ChargeRequest,
  type CheckoutRequest,
  WebhookRejectedError,
} from './provider.js';

export interface StripeSettings {
  /** `STRIPE_SECRET_KEY` */
  secretKey: string;
  /** `STRIPE_WEBHOOK_SECRET` (`whsec_…`), the endpoint's signing secret. */
  webhookSecret: string;
  /** `BACKLEX_STRIPE_API_URL` (tests: a local stub of the Stripe API): host, port and protocol for the SDK. */
  apiUrl?: string;
  /** Where the Billing Portal returns to. */
  returnUrl: string;
}

/**
 * Stripe through its SDK. Checkout Sessions in `payment` mode (one payment each; plan checkouts
 * save the card with `setup_future_usage: off_session`); renewals are off-session PaymentIntents
 * on that card, since backlex's ledger owns periods and retries; webhooks are verified with
 * `stripe.webhooks.constructEvent`.
 */
export function createStripeProvider(settings: StripeSettings): BillingProvider {
  const api = settings.apiUrl ? new URL(settings.apiUrl) : undefined;
  const stripe = new Stripe(settings.secretKey, {
    maxNetworkRetries: 2,
    telemetry: false,
    ...(api
      ? {
          host: api.hostname,
          port: api.port || (api.protocol === 'http:' ? 80 : 443),
          protocol: api.protocol === 'http:' ? 'http' : 'https',
        }
      : {}),
  });

  async function cardOf(paymentIntentId: string | null) {
    if (!paymentIntentId) return { paymentMethodId: null, cardBrand: null, cardLast4: null };
    const intent = await stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['payment_method'] });
    const method = intent.payment_method;
    if (!method || typeof method === 'string')
      return {
        paymentMethodId: typeof method === 'string' ? method : null,
        cardBrand: null,
        cardLast4: null,
      };
    return {
      paymentMethodId: method.id,
      cardBrand: method.card?.brand ?? null,
      cardLast4: method.card?.last4 ?? null,
    };
  }

  const idOf = (value: string | { id: string } | null | undefined) =>
    value == null ? null : typeof value === 'string' ? value : value.id;

  return {
    id: 'stripe',
    async createCheckout(request: CheckoutRequest) {
      const metadata = { checkoutId: request.checkoutId, orgId: request.orgId };
      const session = await stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: 'usd',
                unit_amount: request.amountCents,
                product_data: { name: request.description },
              },
            },
          ],
          client_reference_id: request.checkoutId,
          metadata,
          payment_intent_data: {
            metadata,
            ...(request.savePaymentMethod ? { setup_future_usage: 'off_session' as const } : {}),
          },
          ...(request.customerId
            ? { customer: request.customerId }
            : { customer_creation: 'always' as const }),
          success_url: request.successUrl,
          cancel_url: request.cancelUrl,
        },
        { idempotencyKey: `checkout-${request.checkoutId}` },
      );
      if (!session.url) throw new Error('Stripe returned a checkout session without a url');
      return { url: session.url, sessionId: session.id };
    },
    async chargeInvoice(request: ChargeRequest) {
      try {
        await stripe.paymentIntents.create(
          {
            amount: request.amountCents,
            currency: 'usd',
            customer: request.customerId,
            ...(request.paymentMethodId ? { payment_method: request.paymentMethodId } : {}),
            off_session: true,
            confirm: true,
            description: request.description,
            metadata: { invoiceId: request.invoiceId, orgId: request.orgId },
          },
          { idempotencyKey: `renewal-${request.invoiceId}-${request.attempt}` },
        );
      } catch (error) {
        // A declined card is an answer, not a fault: Stripe sends payment_intent.payment_failed.
        if (error instanceof Stripe.errors.StripeCardError) return;
        throw error;
      }
    },
    async portalUrls(_orgId: string, customerId: string) {
      const session = await stripe.billingPortal.sessions.create({
        customer: customerId,
        return_url: settings.returnUrl,
      });
      return { customerPortalUrl: session.url, updatePaymentMethodUrl: session.url };
    },
    async parseWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): Promise<BillingEvent> {
      const signature = headers['stripe-signature'];
      let event: Stripe.Event;
      try {
        if (typeof signature !== 'string') throw new Error('no Stripe-Signature header');
        event = stripe.webhooks.constructEvent(rawBody, signature, settings.webhookSecret);
      } catch (error) {
        throw new WebhookRejectedError((error as Error).message);
      }
      const common = { id: event.id, providerType: event.type };
      switch (event.type) {
        case 'checkout.session.completed': {
          const session = event.data.object;
          const checkoutId = session.metadata?.checkoutId;
          if (!checkoutId || session.payment_status !== 'paid') return { ...common, type: 'ignored' };
          const customerId = idOf(session.customer);
          if (!customerId) return { ...common, type: 'ignored' };
          return {
            ...common,
            type: 'checkout.completed',
            checkoutId,
            customerId,
            ...(await cardOf(idOf(session.payment_intent))),
            amountCents: session.amount_total ?? 0,
          };
        }
        case 'payment_intent.succeeded': {
          const intent = event.data.object;
          const invoiceId = intent.metadata?.invoiceId;
          if (!invoiceId) return { ...common, type: 'ignored' };
          return {
            ...common,
            type: 'invoice.payment_succeeded',
            invoiceId,
            amountCents: intent.amount_received,
          };
        }
        case 'payment_intent.payment_failed': {
          const intent = event.data.object;
          const invoiceId = intent.metadata?.invoiceId;
          if (!invoiceId) return { ...common, type: 'ignored' };
          return {
            ...common,
            type: 'invoice.payment_failed',
            invoiceId,
            reason: intent.last_payment_error?.code ?? 'payment_failed',
          };
        }
        case 'payment_method.attached': {
          const method = event.data.object;
          const customerId = idOf(method.customer);
          if (!customerId) return { ...common, type: 'ignored' };
          return {
            ...common,
            type: 'payment_method.updated',
            orgId: method.metadata?.orgId ?? null,
            customerId,
            paymentMethodId: method.id,
            cardBrand: method.card?.brand ?? null,
            cardLast4: method.card?.last4 ?? null,
          };
        }
        default:
          return { ...common, type: 'ignored' };
      }
    },
  };
}
