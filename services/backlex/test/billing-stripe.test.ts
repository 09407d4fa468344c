import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Stripe from 'stripe';
import { BacklexHarness } from './support/backlex.js';
import { billingOf, getBilling, setClock, startCheckout } from './support/billing.js';
import { startStripeStub } from './support/stripe-stub.js';

const WEBHOOK_SECRET = 'whsec_test_backlex_billing';
const stripe = new Stripe('sk_test_unused');

describe('billing with the Stripe adapter against a local Stripe API stub', () => {
  let h: BacklexHarness;
  let stub: Awaited<ReturnType<typeof startStripeStub>>;
  let sequence = 0;

  before(async () => {
    stub = await startStripeStub();
    h = await BacklexHarness.boot({
      env: {
        BACKLEX_BILLING_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: 'sk_test_backlex',
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        BACKLEX_STRIPE_API_URL: stub.url,
      },
    });
  });
  after(async () => {
    await h?.close();
    await stub?.stop();
  });

  /** Sends a Stripe event as Stripe does: JSON body, `Stripe-Signature` from the endpoint secret. */
  function sendEvent(
    type: string,
    object: Record<string, unknown>,
    options: { secret?: string; id?: string } = {},
  ) {
    const payload = JSON.stringify({
      id: options.id ?? `evt_test_${++sequence}`,
      object: 'event',
      api_version: '2025-01-01',
      created: Math.floor(Date.now() / 1000),
      type,
      data: { object },
    });
    const signature = stripe.webhooks.generateTestHeaderString({
      payload,
      secret: options.secret ?? WEBHOOK_SECRET,
    });
    return h.inject({
      method: 'POST',
      url: '/api/billing/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      payload,
      skipContract: true,
    });
  }

  test('checkout → Stripe Checkout Session; the signed checkout.session.completed makes the plan; forged → 400; once per id', async () => {
    const start = new Date();
    setClock(h, start);
    try {
      const org = await h.org();
      const url = await startCheckout(h, org, { plan: 'pro', interval: 'annual' });
      assert.match(url, /^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
      const created = stub.calls.findLast((call) => call.path === '/v1/checkout/sessions');
      assert.ok(created);
      assert.equal(created.authorization, 'Bearer sk_test_backlex');
      assert.equal(created.form.mode, 'payment');
      assert.equal(created.form['line_items[0][price_data][unit_amount]'], '25000');
      assert.equal(created.form['line_items[0][price_data][currency]'], 'usd');
      assert.equal(created.form['payment_intent_data[setup_future_usage]'], 'off_session');
      assert.equal(created.form['metadata[orgId]'], org.id);
      const checkoutId = created.form['metadata[checkoutId]'] as string;
      const sessionId = /cs_test_\d+/.exec(url)?.[0];

      const session = {
        id: sessionId,
        object: 'checkout.session',
        payment_status: 'paid',
        amount_total: 25_000,
        customer: 'cus_test_1',
        payment_intent: 'pi_test_checkout',
        metadata: { checkoutId, orgId: org.id },
      };
      const forged = await sendEvent('checkout.session.completed', session, { secret: 'whsec_someone_else' });
      assert.equal(forged.statusCode, 400, forged.body);
      assert.equal(forged.json().error.code, 'INVALID_WEBHOOK');
      const unsigned = await h.inject({
        method: 'POST',
        url: '/api/billing/webhooks/stripe',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({
          id: 'evt_x',
          object: 'event',
          type: 'checkout.session.completed',
          data: { object: session },
        }),
        skipContract: true,
      });
      assert.equal(unsigned.statusCode, 400);
      assert.equal((await getBilling(h, org)).plan, 'free');
      const sandbox = await h.inject({
        method: 'POST',
        url: '/api/billing/webhooks/sandbox',
        payload: '{}',
        headers: { 'content-type': 'application/json' },
        skipContract: true,
      });
      assert.equal(sandbox.statusCode, 404, 'only the configured provider has a webhook');

      const paid = await sendEvent('checkout.session.completed', session, { id: 'evt_checkout_done' });
      assert.equal(paid.statusCode, 200, paid.body);
      assert.deepEqual(paid.json(), { received: true, duplicate: false });
      const again = await sendEvent('checkout.session.completed', session, { id: 'evt_checkout_done' });
      assert.deepEqual(again.json(), { received: true, duplicate: true });

      const billing = await getBilling(h, org);
      assert.equal(billing.plan, 'pro');
      assert.equal(billing.subscription.provider, 'stripe');
      assert.equal(billing.subscription.interval, 'annual');
      assert.equal(billing.invoices.length, 1);
      assert.equal(billing.paymentMethod.cardBrand, 'visa');
      assert.equal(billing.paymentMethod.cardLastFour, '4242');
      assert.equal(
        billing.paymentMethod.customerPortalUrl,
        'https://billing.stripe.com/p/session/test_portal',
      );
      assert.ok(stub.calls.some((call) => call.path.startsWith('/v1/payment_intents/pi_test_checkout')));

      // Renewal: an off-session PaymentIntent on the saved card; its webhook settles the invoice.
      const periodEnd = new Date(billing.subscription.currentPeriodEnd).getTime();
      setClock(h, new Date(periodEnd + 60_000));
      await billingOf(h).billing.runRenewals();
      const charge = stub.calls.findLast(
        (call) => call.method === 'POST' && call.path === '/v1/payment_intents',
      );
      assert.ok(charge);
      assert.equal(charge.form.amount, '25000');
      assert.equal(charge.form.customer, 'cus_test_1');
      assert.equal(charge.form.payment_method, 'pm_card_visa');
      assert.equal(charge.form.off_session, 'true');
      assert.equal(charge.form.confirm, 'true');
      const invoiceId = charge.form['metadata[invoiceId]'] as string;
      assert.equal(charge.idempotencyKey, `renewal-${invoiceId}-1`);
      assert.equal(
        (await getBilling(h, org)).invoices[0].status,
        'open',
        'nothing is paid before the webhook',
      );

      const renewed = await sendEvent('payment_intent.succeeded', {
        id: 'pi_renewal_1',
        object: 'payment_intent',
        amount_received: 25_000,
        metadata: { invoiceId, orgId: org.id },
      });
      assert.equal(renewed.statusCode, 200, renewed.body);
      const afterRenewal = await getBilling(h, org);
      assert.equal(afterRenewal.invoices[0].status, 'paid');
      assert.equal(afterRenewal.subscription.currentPeriodStart, billing.subscription.currentPeriodEnd);

      // The next renewal is declined: Stripe answers 402 and then sends payment_failed.
      stub.declineCharges(true);
      setClock(h, new Date(new Date(afterRenewal.subscription.currentPeriodEnd).getTime() + 60_000));
      await billingOf(h).billing.runRenewals();
      const declined = stub.calls.findLast(
        (call) => call.method === 'POST' && call.path === '/v1/payment_intents',
      );
      const failedInvoiceId = declined?.form['metadata[invoiceId]'] as string;
      assert.notEqual(failedInvoiceId, invoiceId);
      const failed = await sendEvent('payment_intent.payment_failed', {
        id: 'pi_renewal_2',
        object: 'payment_intent',
        last_payment_error: { code: 'card_declined' },
        metadata: { invoiceId: failedInvoiceId, orgId: org.id },
      });
      assert.equal(failed.statusCode, 200, failed.body);
      const pastDue = await getBilling(h, org);
      assert.equal(pastDue.subscription.status, 'past_due');
      assert.equal(pastDue.subscription.failedPayments, 1);
      assert.equal(pastDue.plan, 'pro');
    } finally {
      billingOf(h).clock.use({ now: () => new Date() });
      stub.declineCharges(false);
    }
  });

  test("signed events that are not backlex's (other metadata, other types) are acknowledged and change nothing", async () => {
    const org = await h.org();
    for (const [type, object] of [
      [
        'checkout.session.completed',
        {
          id: 'cs_other',
          object: 'checkout.session',
          payment_status: 'paid',
          amount_total: 100,
          customer: 'cus_other',
          metadata: { checkoutId: 'order-42' },
        },
      ],
      [
        'payment_intent.succeeded',
        { id: 'pi_other', object: 'payment_intent', amount_received: 100, metadata: { invoiceId: 'INV-7' } },
      ],
      ['customer.created', { id: 'cus_other', object: 'customer' }],
    ] as const) {
      const response = await sendEvent(type, object);
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(response.json(), { received: true, duplicate: false });
    }
    assert.equal((await getBilling(h, org)).plan, 'free');
  });

  test('a pack through Stripe Checkout (no card saved for later)', async () => {
    const org = await h.org();
    await startCheckout(h, org, { type: 'd1' }, 'billing/packs/checkout');
    const created = stub.calls.findLast((call) => call.path === '/v1/checkout/sessions');
    assert.ok(created);
    assert.equal(created.form['line_items[0][price_data][unit_amount]'], '750');
    assert.equal(created.form['payment_intent_data[setup_future_usage]'], undefined);
    const session = {
      id: 'cs_test_pack',
      object: 'checkout.session',
      payment_status: 'paid',
      amount_total: 750,
      customer: 'cus_test_pack',
      payment_intent: 'pi_test_pack',
      metadata: { checkoutId: created.form['metadata[checkoutId]'], orgId: org.id },
    };
    // Stripe may deliver one event twice at once: it is applied by exactly one of them.
    const both = await Promise.all([
      sendEvent('checkout.session.completed', session, { id: 'evt_pack_paid' }),
      sendEvent('checkout.session.completed', session, { id: 'evt_pack_paid' }),
    ]);
    for (const response of both) assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(both.map((response) => response.json().duplicate).sort(), [false, true]);
    assert.equal((await getBilling(h, org)).invoices.length, 1);
    const billing = await getBilling(h, org);
    assert.equal(billing.plan, 'free');
    assert.deepEqual(
      billing.topups.find((topup: { type: string }) => topup.type === 'd1'),
      { type: 'd1', units: 10_000_000_000 },
    );
  });
});
