import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { verifyWebhookSignature, webhookSignatureHeader } from '@trustplane/kernel';
import type { Transaction } from 'kysely';
import type { SandboxRepository } from '../db/billing-sandbox-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import { type CardInput, DECLINED_LAST4, FAILS_OFF_SESSION_LAST4, readCard } from './card.js';
import type { Clock } from './clock.js';
import {
  type BillingEvent,
  type BillingProvider,
  type ChargeRequest,
  type CheckoutRequest,
  WebhookRejectedError,
} from './provider.js';

export const SANDBOX_SIGNATURE_HEADER = 'backlex-sandbox-signature';
const SESSION_TTL_MS = 24 * 60 * 60 * 1000;

/** Delivers one signed webhook to `/api/billing/webhooks/sandbox`; resolves with the HTTP status. */
export type SandboxWebhookSender = (body: string, headers: Record<string, string>) => Promise<number>;

export interface SandboxDeps {
  repository: SandboxRepository;
  transaction<T>(work: (trx: Transaction<BacklexDatabase>) => Promise<T>): Promise<T>;
  publicUrl: string;
  /** HMAC key of its webhooks and of its payment-method page links. */
  secret: string;
  clock: Clock;
}

/** What a sandbox page answers: an HTML page, or a redirect back to backlex. */
export type SandboxPageResult =
  | { kind: 'page'; status: number; html: string }
  | { kind: 'redirect'; url: string };

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function formatUsd(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}

/** The card form, plain HTML that works without script; errors are announced (`role="alert"`). */
function cardPage(options: {
  title: string;
  summary: string;
  button: string;
  cancelUrl?: string;
  error?: { field: string; message: string };
}): string {
  const { error } = options;
  const invalid = (field: string) =>
    error?.field === field ? ' aria-invalid="true" aria-describedby="card-error"' : '';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)} — backlex sandbox</title></head>
<body>
<main>
<h1>${escapeHtml(options.title)}</h1>
<p>${escapeHtml(options.summary)}</p>
<p>Sandbox: no real card is charged. 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined.</p>
${error ? `<p id="card-error" role="alert">${escapeHtml(error.message)}</p>` : ''}
<form method="post">
<label for="card-number">Card number</label>
<input id="card-number" name="cardNumber" inputmode="numeric" autocomplete="cc-number" required${invalid('cardNumber')}>
<label for="card-expiry">Expiry (MM/YY)</label>
<input id="card-expiry" name="expiry" autocomplete="cc-exp" placeholder="MM/YY" required${invalid('expiry')}>
<label for="card-cvc">Security code</label>
<input id="card-cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" required${invalid('cvc')}>
<label for="card-name">Name on card</label>
<input id="card-name" name="name" autocomplete="cc-name">
<button type="submit">${escapeHtml(options.button)}</button>
</form>
${options.cancelUrl ? `<p><a href="${escapeHtml(options.cancelUrl)}">Cancel and go back</a></p>` : ''}
</main>
</body>
</html>
`;
}

function messagePage(status: number, title: string, text: string): SandboxPageResult {
  return {
    kind: 'page',
    status,
    html: `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} — backlex sandbox</title></head>
<body><main><h1>${escapeHtml(title)}</h1><p role="status">${escapeHtml(text)}</p></main></body></html>
`,
  };
}

/**
 * The built-in provider (default): it plays a payment service inside backlex — hosted card pages,
 * saved cards (brand + last 4), off-session charges — and tells backlex what happened only the way
 * Stripe does, by an HMAC-signed webhook to `/api/billing/webhooks/sandbox`.
 */
export function createSandboxProvider(deps: SandboxDeps) {
  const base = `${deps.publicUrl}/api/billing/sandbox`;
  // Until the HTTP app installs its in-process sender, webhooks go over HTTP to the public URL.
  let sender: SandboxWebhookSender = async (body, headers) => {
    const response = await fetch(`${deps.publicUrl}/api/billing/webhooks/sandbox`, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(10_000),
    });
    return response.status;
  };

  const newId = (prefix: string) => `${prefix}_${randomBytes(18).toString('base64url')}`;

  async function send(event: { id: string; type: string; data: Record<string, unknown> }): Promise<void> {
    const now = deps.clock.now();
    const body = JSON.stringify({ ...event, created: Math.floor(now.getTime() / 1000) });
    const signature = webhookSignatureHeader(deps.secret, body, Math.floor(now.getTime() / 1000));
    const status = await sender(body, {
      'content-type': 'application/json',
      [SANDBOX_SIGNATURE_HEADER]: signature,
    });
    if (status < 200 || status >= 300) throw new Error(`sandbox webhook ${event.type} answered ${status}`);
  }

  function cardLinkSignature(orgId: string, customerId: string): string {
    return createHmac('sha256', deps.secret).update(`card:${orgId}:${customerId}`).digest('base64url');
  }

  function cardLinkValid(orgId: string, customerId: string, signature: string): boolean {
    const expected = Buffer.from(cardLinkSignature(orgId, customerId));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  const provider: BillingProvider = {
    id: 'sandbox',
    async createCheckout(request: CheckoutRequest) {
      let customerId = request.customerId;
      if (!customerId || !(await deps.repository.customer(customerId))) {
        customerId = newId('cus_sb');
        await deps.repository.insertCustomer(customerId);
      }
      const id = newId('cs_sb');
      await deps.repository.insertSession({
        id,
        customer_id: customerId,
        amount_cents: request.amountCents,
        description: request.description,
        metadata: JSON.stringify({ checkoutId: request.checkoutId, orgId: request.orgId }),
        success_url: request.successUrl,
        cancel_url: request.cancelUrl,
        status: 'open',
        expires_at: new Date(deps.clock.now().getTime() + SESSION_TTL_MS),
      });
      return { url: `${base}/checkout/${id}`, sessionId: id };
    },
    async chargeInvoice(request: ChargeRequest) {
      const customer = await deps.repository.customer(request.customerId);
      const last4 = customer?.card_last4;
      const fails = !last4 || last4 === DECLINED_LAST4 || last4 === FAILS_OFF_SESSION_LAST4;
      const id = `evt_sb_${request.invoiceId.replaceAll('-', '')}_${request.attempt}`;
      await send(
        fails
          ? {
              id,
              type: 'payment_intent.payment_failed',
              data: { invoiceId: request.invoiceId, reason: last4 ? 'card_declined' : 'no_payment_method' },
            }
          : {
              id,
              type: 'payment_intent.succeeded',
              data: { invoiceId: request.invoiceId, amountCents: request.amountCents },
            },
      );
    },
    async portalUrls(orgId: string, customerId: string) {
      const url = `${base}/customers/${encodeURIComponent(customerId)}/card?org=${encodeURIComponent(orgId)}&sig=${cardLinkSignature(orgId, customerId)}`;
      return { customerPortalUrl: url, updatePaymentMethodUrl: url };
    },
    async parseWebhook(rawBody: Buffer, headers: IncomingHttpHeaders): Promise<BillingEvent> {
      const header = headers[SANDBOX_SIGNATURE_HEADER];
      const body = rawBody.toString('utf8');
      if (
        typeof header !== 'string' ||
        !verifyWebhookSignature(deps.secret, body, header, { now: deps.clock.now() })
      )
        throw new WebhookRejectedError('missing or invalid sandbox signature');
      let event: { id?: unknown; type?: unknown; data?: Record<string, unknown> };
      try {
        event = JSON.parse(body);
      } catch {
        throw new WebhookRejectedError('body is not JSON');
      }
      const data = event.data ?? {};
      const text = (value: unknown) => (typeof value === 'string' ? value : null);
      if (typeof event.id !== 'string' || typeof event.type !== 'string')
        throw new WebhookRejectedError('event without id or type');
      const common = { id: event.id, providerType: event.type };
      switch (event.type) {
        case 'checkout.session.completed':
          return {
            ...common,
            type: 'checkout.completed',
            checkoutId: String(data.checkoutId),
            customerId: String(data.customerId),
            paymentMethodId: text(data.paymentMethodId),
            cardBrand: text(data.cardBrand),
            cardLast4: text(data.cardLast4),
            amountCents: Number(data.amountCents),
          };
        case 'payment_method.attached':
          return {
            ...common,
            type: 'payment_method.updated',
            orgId: String(data.orgId),
            customerId: String(data.customerId),
            paymentMethodId: text(data.paymentMethodId),
            cardBrand: text(data.cardBrand),
            cardLast4: text(data.cardLast4),
          };
        case 'payment_intent.succeeded':
          return {
            ...common,
            type: 'invoice.payment_succeeded',
            invoiceId: String(data.invoiceId),
            amountCents: Number(data.amountCents),
          };
        case 'payment_intent.payment_failed':
          return {
            ...common,
            type: 'invoice.payment_failed',
            invoiceId: String(data.invoiceId),
            reason: String(data.reason),
          };
        default:
          return { ...common, type: 'ignored' };
      }
    },
  };

  return {
    provider,
    /** The HTTP app delivers webhooks to itself in-process (same route, same signature check). */
    useSender(next: SandboxWebhookSender) {
      sender = next;
    },
    async checkoutPage(sessionId: string): Promise<SandboxPageResult> {
      const session = await deps.repository.session(sessionId);
      if (!session) return messagePage(404, 'Checkout not found', 'This checkout link is not valid.');
      if (session.status !== 'open' || session.expires_at.getTime() <= deps.clock.now().getTime())
        return messagePage(410, 'Checkout closed', 'This checkout was completed or has expired.');
      return {
        kind: 'page',
        status: 200,
        html: cardPage({
          title: 'Pay backlex',
          summary: `${session.description}: ${formatUsd(session.amount_cents)}`,
          button: `Pay ${formatUsd(session.amount_cents)}`,
          cancelUrl: session.cancel_url,
        }),
      };
    },
    /** The card form's post: declined → the page again (402), nothing sent; paid → webhook, then back to backlex. */
    async submitCheckout(sessionId: string, form: CardInput): Promise<SandboxPageResult> {
      const session = await deps.repository.session(sessionId);
      if (!session) return messagePage(404, 'Checkout not found', 'This checkout link is not valid.');
      if (session.status !== 'open' || session.expires_at.getTime() <= deps.clock.now().getTime())
        return messagePage(410, 'Checkout closed', 'This checkout was completed or has expired.');
      const page = (status: number, error: { field: string; message: string }): SandboxPageResult => ({
        kind: 'page',
        status,
        html: cardPage({
          title: 'Pay backlex',
          summary: `${session.description}: ${formatUsd(session.amount_cents)}`,
          button: `Pay ${formatUsd(session.amount_cents)}`,
          cancelUrl: session.cancel_url,
          error,
        }),
      });
      const card = readCard(form, deps.clock.now());
      if (!card.ok) return page(422, card);
      if (card.last4 === DECLINED_LAST4 || card.last4 === FAILS_OFF_SESSION_LAST4)
        return page(402, { field: 'cardNumber', message: 'Your card was declined.' });
      const metadata = session.metadata;
      // The session completes only if backlex accepted the webhook (the sandbox's "charge").
      await deps.transaction(async (trx) => {
        const locked = await deps.repository.lockSession(trx, sessionId);
        if (locked?.status !== 'open') throw new Error('sandbox session no longer open');
        await deps.repository.setCard(trx, session.customer_id, card);
        await send({
          id: newId('evt_sb'),
          type: 'checkout.session.completed',
          data: {
            sessionId,
            checkoutId: metadata.checkoutId,
            orgId: metadata.orgId,
            customerId: session.customer_id,
            paymentMethodId: `pm_sb_${session.customer_id}`,
            cardBrand: card.brand,
            cardLast4: card.last4,
            amountCents: session.amount_cents,
          },
        });
        await deps.repository.completeSession(trx, sessionId);
      });
      return { kind: 'redirect', url: session.success_url };
    },
    async cardPage(customerId: string, orgId: string, signature: string): Promise<SandboxPageResult> {
      if (!cardLinkValid(orgId, customerId, signature) || !(await deps.repository.customer(customerId)))
        return messagePage(404, 'Not found', 'This billing link is not valid.');
      return {
        kind: 'page',
        status: 200,
        html: cardPage({
          title: 'Update your card',
          summary: 'The card future renewals are charged to.',
          button: 'Save card',
        }),
      };
    },
    /** Saves a new card (nothing is charged); a declined card is refused (402). */
    async submitCard(
      customerId: string,
      orgId: string,
      signature: string,
      form: CardInput,
    ): Promise<SandboxPageResult> {
      if (!cardLinkValid(orgId, customerId, signature) || !(await deps.repository.customer(customerId)))
        return messagePage(404, 'Not found', 'This billing link is not valid.');
      const page = (status: number, error: { field: string; message: string }): SandboxPageResult => ({
        kind: 'page',
        status,
        html: cardPage({
          title: 'Update your card',
          summary: 'The card future renewals are charged to.',
          button: 'Save card',
          error,
        }),
      });
      const card = readCard(form, deps.clock.now());
      if (!card.ok) return page(422, card);
      if (card.last4 === DECLINED_LAST4)
        return page(402, { field: 'cardNumber', message: 'Your card was declined.' });
      await deps.transaction(async (trx) => {
        await deps.repository.setCard(trx, customerId, card);
        await send({
          id: newId('evt_sb'),
          type: 'payment_method.attached',
          data: {
            orgId,
            customerId,
            paymentMethodId: `pm_sb_${customerId}`,
            cardBrand: card.brand,
            cardLast4: card.last4,
          },
        });
      });
      return messagePage(200, 'Card saved', `Your ${card.brand} card ending in ${card.last4} is saved.`);
    },
  };
}

export type SandboxBilling = ReturnType<typeof createSandboxProvider>;
