import type { IncomingHttpHeaders } from 'node:http';

export const PROVIDER_IDS = ['sandbox', 'stripe'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export interface CheckoutRequest {
  /** Our `billing_checkout` id; the payment webhook carries it back. */
  checkoutId: string;
  orgId: string;
  /** The org's customer at the provider, when it has one (its saved card is offered). */
  customerId: string | null;
  description: string;
  amountCents: number;
  /** Keep the card for off-session renewal charges (plan checkouts). */
  savePaymentMethod: boolean;
  successUrl: string;
  cancelUrl: string;
}

export interface ChargeRequest {
  invoiceId: string;
  orgId: string;
  customerId: string;
  paymentMethodId: string | null;
  amountCents: number;
  description: string;
  /** 1 for the first try of this invoice, then 2, 3, 4: one idempotent charge per attempt. */
  attempt: number;
}

/** A provider's webhook, verified and read into what billing acts on. */
export type BillingEvent = { id: string; providerType: string } & (
  | {
      type: 'checkout.completed';
      checkoutId: string;
      customerId: string;
      paymentMethodId: string | null;
      cardBrand: string | null;
      cardLast4: string | null;
      amountCents: number;
    }
  | {
      type: 'payment_method.updated';
      /** Known to the sandbox; for Stripe the org is found by its customer. */
      orgId: string | null;
      customerId: string;
      paymentMethodId: string | null;
      cardBrand: string | null;
      cardLast4: string | null;
    }
  | { type: 'invoice.payment_succeeded'; invoiceId: string; amountCents: number }
  | { type: 'invoice.payment_failed'; invoiceId: string; reason: string }
  /** Anything else the provider sends: acknowledged, recorded, no effect. */
  | { type: 'ignored' }
);

/** A webhook that is unsigned, forged, stale or unreadable: 400, nothing changes. */
export class WebhookRejectedError extends Error {
  override readonly name = 'WebhookRejectedError';
}

/**
 * A payment provider. Money moves only at the provider; our state changes only when its signed
 * webhook says so (`parseWebhook`), never from what these calls return.
 */
export interface BillingProvider {
  readonly id: ProviderId;
  /** A hosted checkout page for one payment. */
  createCheckout(request: CheckoutRequest): Promise<{ url: string; sessionId: string }>;
  /** Charges the saved card off-session (renewals); the outcome arrives as a webhook. */
  chargeInvoice(request: ChargeRequest): Promise<void>;
  /** Pages where the customer manages billing and replaces the card. */
  portalUrls(
    orgId: string,
    customerId: string,
  ): Promise<{ customerPortalUrl: string; updatePaymentMethodUrl: string }>;
  /** Verifies the signature and reads the event; throws `WebhookRejectedError`. */
  parseWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): Promise<BillingEvent>;
}
