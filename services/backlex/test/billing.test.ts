import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { webhookSignatureHeader } from '@trustplane/kernel';
import { BacklexHarness, type TestOrg } from './support/backlex.js';
import {
  billingOf,
  getBilling,
  pathOf,
  postCardForm,
  setClock,
  startCheckout,
  subscribe,
} from './support/billing.js';

const DAY = 24 * 60 * 60 * 1000;

describe('billing with the sandbox provider', () => {
  let h: BacklexHarness;
  /** Every sandbox webhook the app delivered to itself (body and headers as sent). */
  const delivered: { body: string; headers: Record<string, string>; status: number }[] = [];

  before(async () => {
    h = await BacklexHarness.boot();
    const sandbox = billingOf(h).sandbox;
    assert.ok(sandbox, 'sandbox is the default provider');
    // The same in-process delivery the app installs, recorded so a test can replay one.
    sandbox.useSender(async (body, headers) => {
      const response = await h.app.inject({
        method: 'POST',
        url: '/api/billing/webhooks/sandbox',
        headers,
        payload: body,
      });
      delivered.push({ body, headers, status: response.statusCode });
      return response.statusCode;
    });
  });
  after(async () => h?.close());

  async function planIdOf(org: TestOrg): Promise<string> {
    const response = await h.inject({ method: 'GET', url: '/api/orgs', as: org.owner });
    return (response.json().orgs as { slug: string; planId: string }[]).find((o) => o.slug === org.slug)
      ?.planId as string;
  }

  async function auditActions(org: TestOrg): Promise<string[]> {
    const response = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/audit?action=billing.*`,
      as: org.owner,
    });
    assert.equal(response.statusCode, 200, response.body);
    return (response.json().events as { action: string }[]).map((event) => event.action);
  }

  async function publishedEvents(org: TestOrg, type: string) {
    const { rows } = await h.service.booted.context
      .database()
      .pool.query('SELECT data FROM events WHERE org_id = $1 AND type = $2 ORDER BY created_at', [
        org.id,
        type,
      ]);
    return rows.map((row) => row.data as Record<string, unknown>);
  }

  test('the provider webhook is documented in /openapi.json as a public extension; the sandbox pages are not', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.statusCode, 200);
    const paths = response.json().paths as Record<
      string,
      Record<string, { security?: unknown[]; 'x-extension'?: boolean }>
    >;
    const webhook = paths['/billing/webhooks/{provider}']?.post;
    assert.ok(
      webhook,
      Object.keys(paths)
        .filter((path) => path.includes('billing'))
        .join(', '),
    );
    assert.deepEqual(webhook.security, []);
    assert.equal(webhook['x-extension'], true);
    assert.ok(!Object.keys(paths).some((path) => path.includes('sandbox')));
  });

  test('a new org: free, no subscription, no invoices, zero top-ups, no payment method', async () => {
    const org = await h.org();
    const billing = await getBilling(h, org);
    assert.equal(billing.plan, 'free');
    assert.equal(billing.subscription, null);
    assert.deepEqual(billing.invoices, []);
    assert.deepEqual(billing.packs, []);
    assert.deepEqual(
      billing.topups,
      ['requests', 'd1', 'r2', 'neurons'].map((type) => ({ type, units: 0 })),
    );
    assert.deepEqual(billing.enforcement, { requestThrottled: false, storageReadOnly: false });
    assert.equal(billing.paymentMethod, null);
  });

  test('roles: admins read billing, only owners pay; others 403; another org 404; no cookie 401', async () => {
    const org = await h.org();
    const admin = await h.member(org, 'admin');
    const developer = await h.member(org, 'developer');
    const viewer = await h.member(org, 'viewer');
    const stranger = await h.user();
    await getBilling(h, org, admin);
    for (const user of [developer, viewer]) {
      const read = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/billing`, as: user });
      assert.equal(read.statusCode, 403, read.body);
      assert.equal(read.json().error.code, 'FORBIDDEN');
    }
    const writes = [
      ['billing/checkout', { plan: 'pro' }],
      ['billing/packs/checkout', { type: 'requests' }],
      ['billing/subscription/cancel', undefined],
      ['billing/subscription/resume', undefined],
    ] as const;
    for (const [path, payload] of writes) {
      for (const user of [admin, developer, viewer]) {
        const response = await h.inject({
          method: 'POST',
          url: `/api/org/${org.slug}/${path}`,
          as: user,
          ...(payload ? { payload } : {}),
        });
        assert.equal(response.statusCode, 403, `${path}: ${response.body}`);
      }
      const foreign = await h.inject({
        method: 'POST',
        url: `/api/org/${org.slug}/${path}`,
        as: stranger,
        ...(payload ? { payload } : {}),
      });
      assert.equal(foreign.statusCode, 404, `${path}: ${foreign.body}`);
      const anonymous = await h.inject({
        method: 'POST',
        url: `/api/org/${org.slug}/${path}`,
        ...(payload ? { payload } : {}),
      });
      assert.equal(anonymous.statusCode, 401, `${path}: ${anonymous.body}`);
    }
    const foreignRead = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/billing`, as: stranger });
    assert.equal(foreignRead.statusCode, 404);
  });

  test('checkout input: free or unknown plan, bad interval or pack type → 422; bad JSON → 400', async () => {
    const org = await h.org();
    for (const payload of [{ plan: 'free' }, { plan: 'gold' }, { plan: 'pro', interval: 'weekly' }, {}]) {
      const response = await h.inject({
        method: 'POST',
        url: `/api/org/${org.slug}/billing/checkout`,
        as: org.owner,
        payload,
      });
      assert.equal(response.statusCode, 422, response.body);
      assert.equal(response.json().error.code, 'VALIDATION');
    }
    const pack = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/billing/packs/checkout`,
      as: org.owner,
      payload: { type: 'gpus' },
    });
    assert.equal(pack.statusCode, 422, pack.body);
    const broken = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/billing/checkout`,
      as: org.owner,
      headers: { 'content-type': 'application/json' },
      payload: '{"plan":',
    });
    assert.equal(broken.statusCode, 400, broken.body);
    assert.equal((await getBilling(h, org)).invoices.length, 0);
  });

  test('journey: checkout page → declined card changes nothing → 4242 pays → signed webhook → plan pro', async () => {
    const org = await h.org();
    const url = await startCheckout(h, org, { plan: 'pro' });
    assert.match(url, /\/api\/billing\/sandbox\/checkout\/cs_sb_/);

    const page = await h.inject({ method: 'GET', url: pathOf(url), skipContract: true });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    for (const label of ['<label for="card-number">', '<label for="card-expiry">', '<label for="card-cvc">'])
      assert.ok(page.body.includes(label), label);
    assert.match(page.body, /\$25\.00/);

    const sentBefore = delivered.length;
    const declined = await postCardForm(h, url, { cardNumber: '4000 0000 0000 0002' });
    assert.equal(declined.statusCode, 402);
    assert.match(declined.body, /role="alert">Your card was declined\./);
    assert.equal(delivered.length, sentBefore, 'a declined card sends no webhook');
    const unchanged = await getBilling(h, org);
    assert.equal(unchanged.plan, 'free');
    assert.equal(unchanged.subscription, null);
    assert.deepEqual(unchanged.invoices, []);
    assert.equal(unchanged.paymentMethod, null);

    const invalid = await postCardForm(h, url, { cardNumber: '4242 4242 4242 4241' });
    assert.equal(invalid.statusCode, 422);
    assert.equal(delivered.length, sentBefore);

    const paid = await postCardForm(h, url, { cardNumber: '4242 4242 4242 4242' });
    assert.equal(paid.statusCode, 303, paid.body);
    assert.equal(paid.headers.location, `${new URL(url).origin}/org/${org.slug}/billing?checkout=success`);
    const webhook = delivered.at(-1);
    assert.ok(webhook);
    assert.equal(webhook.status, 200);
    assert.match(webhook.headers['backlex-sandbox-signature'] ?? '', /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.ok(
      !webhook.body.includes('4242424242424242') && !webhook.body.includes('4242 4242'),
      'only the last 4 travel',
    );

    const billing = await getBilling(h, org);
    assert.equal(billing.plan, 'pro');
    assert.equal(await planIdOf(org), 'pro');
    assert.equal(billing.subscription.plan, 'pro');
    assert.equal(billing.subscription.interval, 'monthly');
    assert.equal(billing.subscription.status, 'active');
    assert.equal(billing.subscription.amountCents, 2500);
    assert.equal(billing.subscription.cancelAtPeriodEnd, false);
    assert.equal(billing.invoices.length, 1);
    assert.equal(billing.invoices[0].status, 'paid');
    assert.equal(billing.invoices[0].kind, 'subscription');
    assert.equal(billing.invoices[0].amountCents, 2500);
    assert.equal(billing.paymentMethod.cardBrand, 'visa');
    assert.equal(billing.paymentMethod.cardLastFour, '4242');
    assert.equal(billing.paymentMethod.renewsAt, billing.subscription.currentPeriodEnd);
    assert.match(billing.paymentMethod.updatePaymentMethodUrl, /\/api\/billing\/sandbox\/customers\//);

    // The page is spent: a second payment is refused.
    const again = await postCardForm(h, url, { cardNumber: '4242 4242 4242 4242' });
    assert.equal(again.statusCode, 410);
    assert.equal((await getBilling(h, org)).invoices.length, 1);

    assert.deepEqual(await auditActions(org), ['billing.subscribed']);
    assert.deepEqual(await publishedEvents(org, 'billing.plan_changed'), [{ from: 'free', to: 'pro' }]);
    assert.equal((await publishedEvents(org, 'billing.invoice_paid')).length, 1);
  });

  test('the same plan and interval again → 409; another interval or plan is a new checkout', async () => {
    const org = await h.org();
    await subscribe(h, org, 'pro');
    const same = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/billing/checkout`,
      as: org.owner,
      payload: { plan: 'pro', interval: 'monthly' },
    });
    assert.equal(same.statusCode, 409, same.body);
    assert.equal(same.json().error.code, 'ALREADY_SUBSCRIBED');
    await subscribe(h, org, 'scale', 'annual');
    const billing = await getBilling(h, org);
    assert.equal(billing.plan, 'scale');
    assert.equal(billing.subscription.interval, 'annual');
    assert.equal(billing.subscription.amountCents, 99_000);
    assert.equal(billing.invoices.length, 2);
  });

  test('webhooks: unsigned, forged or stale → 400 and nothing changes; another provider → 404', async () => {
    const org = await h.org();
    const url = await startCheckout(h, org, { plan: 'max' });
    const checkoutId = await h.service.booted.context
      .database()
      .pool.query('SELECT id FROM billing_checkout WHERE org_id = $1', [org.id])
      .then((result) => result.rows[0].id as string);
    const body = JSON.stringify({
      id: 'evt_forged_1',
      type: 'checkout.session.completed',
      data: {
        checkoutId,
        orgId: org.id,
        customerId: 'cus_x',
        cardBrand: 'visa',
        cardLast4: '4242',
        amountCents: 39_900,
      },
    });
    const now = Math.floor(Date.now() / 1000);
    // The sandbox's key, derived as the service derives it (src/billing-composition.ts).
    const sandboxKey = createHmac('sha256', h.service.booted.context.signingSecret)
      .update('backlex:billing-sandbox')
      .digest('hex');
    const attempts: Record<string, string>[] = [
      {},
      { 'backlex-sandbox-signature': webhookSignatureHeader('not-the-secret', body, now) },
      { 'backlex-sandbox-signature': `t=${now},v1=${'0'.repeat(64)}` },
      { 'backlex-sandbox-signature': 'garbage' },
      // Signed with the real key but an hour old: a captured request replayed later.
      { 'backlex-sandbox-signature': webhookSignatureHeader(sandboxKey, body, now - 3600) },
    ];
    for (const headers of attempts) {
      const response = await h.inject({
        method: 'POST',
        url: '/api/billing/webhooks/sandbox',
        headers: { 'content-type': 'application/json', ...headers },
        payload: body,
        skipContract: true,
      });
      assert.equal(response.statusCode, 400, response.body);
      assert.equal(response.json().error.code, 'INVALID_WEBHOOK');
    }
    const other = await h.inject({
      method: 'POST',
      url: '/api/billing/webhooks/stripe',
      payload: body,
      headers: { 'content-type': 'application/json' },
      skipContract: true,
    });
    assert.equal(other.statusCode, 404);
    const billing = await getBilling(h, org);
    assert.equal(billing.plan, 'free');
    assert.deepEqual(billing.invoices, []);
    // The genuine page still works afterwards.
    assert.equal((await postCardForm(h, url, { cardNumber: '4242424242424242' })).statusCode, 303);
    assert.equal((await getBilling(h, org)).plan, 'max');
  });

  test('a genuine event delivered twice is applied once', async () => {
    const org = await h.org();
    await subscribe(h, org, 'pro');
    const original = delivered.at(-1);
    assert.ok(original);
    const replay = await h.inject({
      method: 'POST',
      url: '/api/billing/webhooks/sandbox',
      headers: original.headers,
      payload: original.body,
      skipContract: true,
    });
    assert.equal(replay.statusCode, 200, replay.body);
    assert.deepEqual(replay.json(), { received: true, duplicate: true });
    const billing = await getBilling(h, org);
    assert.equal(billing.invoices.length, 1);
    assert.equal((await publishedEvents(org, 'billing.invoice_paid')).length, 1);
  });

  test('a pack adds its units to the current period (topups), on free as on paid plans', async () => {
    const org = await h.org();
    const url = await startCheckout(h, org, { type: 'requests' }, 'billing/packs/checkout');
    assert.equal((await postCardForm(h, url, { cardNumber: '4000 0000 0000 0002' })).statusCode, 402);
    assert.deepEqual((await getBilling(h, org)).packs, []);
    assert.equal((await postCardForm(h, url, { cardNumber: '4242 4242 4242 4242' })).statusCode, 303);
    const second = await startCheckout(h, org, { type: 'requests' }, 'billing/packs/checkout');
    assert.equal((await postCardForm(h, second, { cardNumber: '5555 5555 5555 4444' })).statusCode, 303);
    const billing = await getBilling(h, org);
    assert.equal(billing.plan, 'free');
    assert.equal(billing.packs.length, 2);
    assert.deepEqual(
      billing.packs.map((pack: { type: string; quantity: number; unitsPerPack: number; status: string }) => [
        pack.type,
        pack.quantity,
        pack.unitsPerPack,
        pack.status,
      ]),
      [
        ['requests', 1, 10_000_000, 'active'],
        ['requests', 1, 10_000_000, 'active'],
      ],
    );
    assert.deepEqual(
      billing.topups.find((topup: { type: string }) => topup.type === 'requests'),
      { type: 'requests', units: 20_000_000 },
    );
    assert.equal(billing.invoices.length, 2);
    assert.ok(
      billing.invoices.every(
        (invoice: { kind: string; amountCents: number }) =>
          invoice.kind === 'pack' && invoice.amountCents === 500,
      ),
    );
    assert.equal(billing.paymentMethod.cardBrand, 'mastercard');
    // A month later the packs belong to the past period.
    setClock(h, new Date(Date.now() + 40 * DAY));
    try {
      const later = await getBilling(h, org);
      assert.deepEqual(
        later.topups.find((topup: { type: string }) => topup.type === 'requests'),
        { type: 'requests', units: 0 },
      );
      assert.ok(later.packs.every((pack: { status: string }) => pack.status === 'expired'));
    } finally {
      billingOf(h).clock.use({ now: () => new Date() });
    }
    assert.deepEqual(await auditActions(org), ['billing.pack_purchased', 'billing.pack_purchased']);
  });

  test('cancel → endsAt at period end; resume before it; after it resume → 409 and the renewal run drops to free', async () => {
    const start = new Date();
    setClock(h, start);
    try {
      const org = await h.org();
      const none = await h.inject({
        method: 'POST',
        url: `/api/org/${org.slug}/billing/subscription/cancel`,
        as: org.owner,
      });
      assert.equal(none.statusCode, 409);
      assert.equal(none.json().error.code, 'NO_SUBSCRIPTION');
      await subscribe(h, org, 'pro');
      const { subscription } = await getBilling(h, org);

      const cancel = await h.inject({
        method: 'POST',
        url: `/api/org/${org.slug}/billing/subscription/cancel`,
        as: org.owner,
      });
      assert.equal(cancel.statusCode, 200, cancel.body);
      assert.deepEqual(cancel.json(), { status: 'active', endsAt: subscription.currentPeriodEnd });
      const cancelled = await getBilling(h, org);
      assert.equal(cancelled.subscription.cancelAtPeriodEnd, true);
      assert.equal(cancelled.paymentMethod.renewsAt, null);
      assert.equal(cancelled.plan, 'pro');

      const resume = await h.inject({
        method: 'POST',
        url: `/api/org/${org.slug}/billing/subscription/resume`,
        as: org.owner,
      });
      assert.equal(resume.statusCode, 200, resume.body);
      assert.deepEqual(resume.json(), { status: 'active', endsAt: null });
      assert.equal((await getBilling(h, org)).subscription.cancelAtPeriodEnd, false);

      const again = await h.inject({
        method: 'POST',
        url: `/api/org/${org.slug}/billing/subscription/cancel`,
        as: org.owner,
      });
      assert.equal(again.statusCode, 200);
      // Past endsAt: too late to resume, and the renewal run ends it (no renewal invoice).
      setClock(h, new Date(new Date(subscription.currentPeriodEnd).getTime() + 60_000));
      const late = await h.inject({
        method: 'POST',
        url: `/api/org/${org.slug}/billing/subscription/resume`,
        as: org.owner,
      });
      assert.equal(late.statusCode, 409, late.body);
      assert.equal(late.json().error.code, 'SUBSCRIPTION_ENDED');
      const run = await billingOf(h).billing.runRenewals();
      assert.ok(run.ended >= 1);
      const ended = await getBilling(h, org);
      assert.equal(ended.plan, 'free');
      assert.equal(ended.subscription.status, 'canceled');
      assert.equal(ended.invoices.length, 1, 'no renewal invoice for a cancelled subscription');
      const afterEnd = await h.inject({
        method: 'POST',
        url: `/api/org/${org.slug}/billing/subscription/cancel`,
        as: org.owner,
      });
      assert.equal(afterEnd.statusCode, 409);
      assert.deepEqual(await auditActions(org), [
        'billing.subscription_ended',
        'billing.subscription_cancelled',
        'billing.subscription_resumed',
        'billing.subscription_cancelled',
        'billing.subscribed',
      ]);
      assert.deepEqual((await publishedEvents(org, 'billing.plan_changed')).at(-1), {
        from: 'pro',
        to: 'free',
      });
    } finally {
      billingOf(h).clock.use({ now: () => new Date() });
    }
  });

  test('renewal on the clock: the saved card is charged through a signed webhook and the period moves on', async () => {
    const start = new Date();
    setClock(h, start);
    try {
      const org = await h.org();
      await subscribe(h, org, 'pro');
      const first = (await getBilling(h, org)).subscription;
      // Before the period ends nothing happens.
      await billingOf(h).billing.runRenewals();
      assert.equal((await getBilling(h, org)).invoices.length, 1);

      setClock(h, new Date(new Date(first.currentPeriodEnd).getTime() + 60_000));
      await billingOf(h).billing.runRenewals();
      const renewed = await getBilling(h, org);
      assert.equal(renewed.plan, 'pro');
      assert.equal(renewed.subscription.status, 'active');
      assert.equal(renewed.subscription.currentPeriodStart, first.currentPeriodEnd);
      assert.ok(new Date(renewed.subscription.currentPeriodEnd) > new Date(first.currentPeriodEnd));
      const [latest] = renewed.invoices;
      assert.equal(latest.kind, 'renewal');
      assert.equal(latest.status, 'paid');
      assert.equal(latest.amountCents, 2500);
      assert.equal(latest.attempts, 1);
      assert.equal(latest.periodStart, first.currentPeriodEnd);
      // A second run in the same instant does nothing more.
      await billingOf(h).billing.runRenewals();
      assert.equal((await getBilling(h, org)).invoices.length, 2);
      assert.ok((await auditActions(org)).includes('billing.renewed'));
    } finally {
      billingOf(h).clock.use({ now: () => new Date() });
    }
  });

  test('failed renewal → past_due, retried after 1, 3 and 5 days, then free (invoice uncollectible)', async () => {
    const start = new Date();
    setClock(h, start);
    try {
      const org = await h.org();
      await subscribe(h, org, 'scale');
      const { subscription, paymentMethod } = await getBilling(h, org);
      // The owner replaces the card with one whose off-session charges fail.
      const cardPage = await h.inject({
        method: 'GET',
        url: pathOf(paymentMethod.updatePaymentMethodUrl),
        skipContract: true,
      });
      assert.equal(cardPage.statusCode, 200);
      const declined = await postCardForm(h, paymentMethod.updatePaymentMethodUrl, {
        cardNumber: '4000 0000 0000 0002',
      });
      assert.equal(declined.statusCode, 402);
      const saved = await postCardForm(h, paymentMethod.updatePaymentMethodUrl, {
        cardNumber: '4000 0000 0000 0341',
      });
      assert.equal(saved.statusCode, 200, saved.body);
      assert.equal((await getBilling(h, org)).paymentMethod.cardLastFour, '0341');
      const forged = await h.inject({
        method: 'GET',
        url: `${pathOf(paymentMethod.updatePaymentMethodUrl)}x`,
        skipContract: true,
      });
      assert.equal(forged.statusCode, 404);

      let at = new Date(subscription.currentPeriodEnd).getTime() + 60_000;
      setClock(h, new Date(at));
      await billingOf(h).billing.runRenewals();
      let billing = await getBilling(h, org);
      assert.equal(billing.plan, 'scale', 'the plan stays while past due');
      assert.equal(billing.subscription.status, 'past_due');
      assert.equal(billing.subscription.failedPayments, 1);
      assert.equal(billing.subscription.nextPaymentAttemptAt, new Date(at + DAY).toISOString());
      assert.equal(billing.invoices[0].status, 'open');

      // Not yet due: nothing is charged.
      await billingOf(h).billing.runRenewals();
      assert.equal((await getBilling(h, org)).invoices[0].attempts, 1);

      for (const [days, failures] of [
        [1, 2],
        [3, 3],
      ] as const) {
        at += days * DAY;
        setClock(h, new Date(at));
        await billingOf(h).billing.runRenewals();
        billing = await getBilling(h, org);
        assert.equal(billing.subscription.status, 'past_due');
        assert.equal(billing.subscription.failedPayments, failures);
        assert.equal(billing.invoices[0].attempts, failures);
      }
      at += 5 * DAY;
      setClock(h, new Date(at));
      await billingOf(h).billing.runRenewals();
      billing = await getBilling(h, org);
      assert.equal(billing.plan, 'free');
      assert.equal(await planIdOf(org), 'free');
      assert.equal(billing.subscription.status, 'canceled');
      assert.equal(billing.invoices[0].status, 'uncollectible');
      assert.equal(billing.invoices[0].attempts, 4);
      assert.equal((await publishedEvents(org, 'billing.payment_failed')).length, 4);
      assert.deepEqual((await publishedEvents(org, 'billing.plan_changed')).at(-1), {
        from: 'scale',
        to: 'free',
      });
      const actions = await auditActions(org);
      assert.equal(actions[0], 'billing.downgraded');
      assert.equal(actions.filter((action) => action === 'billing.payment_failed').length, 3);
      // The ledger is balanced: paid invoice paid, the uncollectible one written off.
      const { rows } = await h.service.booted.context
        .database()
        .pool.query(
          'SELECT coalesce(sum(amount_cents), 0)::bigint AS balance FROM billing_ledger_entry WHERE org_id = $1',
          [org.id],
        );
      assert.equal(Number(rows[0].balance), 0);
    } finally {
      billingOf(h).clock.use({ now: () => new Date() });
    }
  });

  test('org deletion cancels the subscription at once', async () => {
    const org = await h.org();
    await subscribe(h, org, 'pro');
    const deleted = await h.inject({ method: 'DELETE', url: `/api/org/${org.slug}`, as: org.owner });
    assert.ok(deleted.statusCode === 200 || deleted.statusCode === 204, deleted.body);
    const gone = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/billing`, as: org.owner });
    assert.equal(gone.statusCode, 404);
    const pool = h.service.booted.context.database().pool;
    const { rows } = await pool.query('SELECT status, ends_at FROM billing_subscription WHERE org_id = $1', [
      org.id,
    ]);
    assert.equal(rows[0].status, 'canceled');
    assert.ok(rows[0].ends_at instanceof Date && rows[0].ends_at.getTime() <= Date.now());
    const audit = await pool.query(
      "SELECT data FROM audit_event WHERE organization_id = $1 AND action = 'billing.subscription_cancelled'",
      [org.id],
    );
    assert.equal(audit.rows[0]?.data.reason, 'org_deleted');
    assert.equal((await publishedEvents(org, 'billing.subscription_cancelled')).length, 1);
    // Nothing renews for it later.
    setClock(h, new Date(Date.now() + 40 * DAY));
    try {
      await billingOf(h).billing.runRenewals();
      const invoices = await pool.query('SELECT count(*)::int AS n FROM billing_invoice WHERE org_id = $1', [
        org.id,
      ]);
      assert.equal(invoices.rows[0].n, 1);
    } finally {
      billingOf(h).clock.use({ now: () => new Date() });
    }
  });
});
