import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit.js';
import { auditActor, type OrgAccess } from '../auth/principal.js';
import type { CheckoutRepository } from '../db/billing-checkout-repository.js';
import type { CustomerRepository } from '../db/billing-customer-repository.js';
import type { InvoiceRepository, InvoiceRow } from '../db/billing-invoice-repository.js';
import type { PackRepository, PackRow } from '../db/billing-pack-repository.js';
import type { SubscriptionRepository, SubscriptionRow } from '../db/billing-subscription-repository.js';
import type { createWebhookEventRepository } from '../db/billing-webhook-event-repository.js';
import type { OrgRepository } from '../db/org-repository.js';
import type { BacklexDatabase } from '../db/tables.js';
import { errors } from '../errors.js';
import type { EventPublisher } from '../events/publish-event.js';
import type { Clock } from './clock.js';
import {
  addInterval,
  type BillingInterval,
  PACKS,
  type PaidPlanId,
  PLANS,
  type PlanId,
  planById,
  USAGE_TYPES,
  type UsageType,
} from './plan-catalogue.js';
import { type BillingEvent, type BillingProvider, WebhookRejectedError } from './provider.js';

type Trx = Transaction<BacklexDatabase>;

/** Renewal retries after the first failed charge, and the days before each (then the org drops to free). */
export const RENEWAL_RETRY_DAYS = [1, 3, 5] as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** A renewal charge whose call to the provider failed (network) is tried again after this. */
const CHARGE_CALL_RETRY_MS = 60 * 60 * 1000;

/**
 * The seam to the projects area: called in the transaction of every plan change (webhook,
 * renewal failure, end of a cancelled subscription), so projects over the new plan's limits can
 * be paused with it. `billing.plan_changed` is also published to the events outbox.
 */
export type PlanChangeHook = (
  trx: Trx,
  change: { organizationId: string; from: PlanId; to: PlanId; reason: PlanChangeReason },
) => Promise<void>;
export type PlanChangeReason = 'checkout' | 'renewal_failed' | 'subscription_ended';

/** `enforcement` of the billing snapshot; the usage area fills it (both false until then). */
export type EnforcementReader = (
  orgId: string,
) => Promise<{ requestThrottled: boolean; storageReadOnly: boolean }>;

export interface BillingDeps {
  transaction<T>(work: (trx: Trx) => Promise<T>): Promise<T>;
  subscriptions: SubscriptionRepository;
  customers: CustomerRepository;
  checkouts: CheckoutRepository;
  invoices: InvoiceRepository;
  packs: PackRepository;
  webhookEvents: ReturnType<typeof createWebhookEventRepository>;
  orgs: OrgRepository;
  audit: AuditLog;
  events: EventPublisher;
  provider: BillingProvider;
  clock: Clock;
  publicUrl: string;
  onPlanChanged: readonly PlanChangeHook[];
  enforcement?: EnforcementReader;
  logWarning(message: string, fields: Record<string, unknown>): void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids in provider metadata are ours only if they look like ours (another app may share the account). */
function ownsIds(event: BillingEvent): boolean {
  if (event.type === 'checkout.completed') return UUID.test(event.checkoutId);
  if (event.type === 'invoice.payment_succeeded' || event.type === 'invoice.payment_failed')
    return UUID.test(event.invoiceId);
  return true;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** `Subscription` (open in the seed; fields fixed in the README). */
export function subscriptionView(row: SubscriptionRow) {
  return {
    id: row.id,
    plan: row.plan,
    interval: row.billing_interval,
    status: row.status,
    provider: row.provider,
    amountCents: row.amount_cents,
    currency: 'usd',
    currentPeriodStart: row.current_period_start.toISOString(),
    currentPeriodEnd: row.current_period_end.toISOString(),
    cancelAtPeriodEnd: row.cancel_at_period_end,
    endsAt: iso(row.ends_at),
    canceledAt: iso(row.canceled_at),
    failedPayments: row.failed_renewals,
    nextPaymentAttemptAt: iso(row.next_attempt_at),
    createdAt: row.created_at.toISOString(),
  };
}

/** `Invoice` (open in the seed; fields fixed in the README). */
export function invoiceView(row: InvoiceRow) {
  return {
    id: row.id,
    number: row.number,
    kind: row.kind,
    description: row.description,
    amountCents: row.amount_cents,
    currency: row.currency,
    status: row.status,
    periodStart: iso(row.period_start),
    periodEnd: iso(row.period_end),
    attempts: row.attempts,
    createdAt: row.created_at.toISOString(),
    paidAt: iso(row.paid_at),
  };
}

function packView(row: PackRow, now: Date) {
  const active = row.period_start.getTime() <= now.getTime() && now.getTime() < row.period_end.getTime();
  return {
    id: row.id,
    type: row.pack_type,
    quantity: row.quantity,
    unitsPerPack: row.units_per_pack,
    status: active ? 'active' : 'expired',
    invoiceId: row.invoice_id,
    periodStart: row.period_start.toISOString(),
    periodEnd: row.period_end.toISOString(),
    createdAt: row.created_at.toISOString(),
  };
}

/** Units the packs add, per usage type. */
function topupUnits(packs: PackRow[]): Record<UsageType, number> {
  const units = Object.fromEntries(USAGE_TYPES.map((type) => [type, 0])) as Record<UsageType, number>;
  for (const pack of packs) {
    if (pack.pack_type in units) units[pack.pack_type as UsageType] += pack.quantity * pack.units_per_pack;
  }
  return units;
}

/** The calendar month (UTC) containing `at`: the period of an org without a subscription. */
function calendarMonth(at: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  return { start, end: addInterval(start, 'monthly') };
}

export function createBilling(deps: BillingDeps) {
  const { provider } = deps;
  const systemActor = { type: 'system' as const, id: null, label: `billing:${provider.id}` };

  function billingPageUrl(slug: string, outcome: string): string {
    return `${deps.publicUrl}/org/${encodeURIComponent(slug)}/billing?checkout=${outcome}`;
  }

  /** The org's current billing period: its subscription's, else the calendar month. */
  async function currentPeriod(orgId: string, now: Date): Promise<{ start: Date; end: Date }> {
    const subscription = await deps.subscriptions.ofOrg(orgId);
    if (
      subscription &&
      subscription.status !== 'canceled' &&
      subscription.current_period_start.getTime() <= now.getTime() &&
      now.getTime() < subscription.current_period_end.getTime()
    )
      return { start: subscription.current_period_start, end: subscription.current_period_end };
    return calendarMonth(now);
  }

  async function changePlan(trx: Trx, orgId: string, from: string, to: PlanId, reason: PlanChangeReason) {
    await deps.orgs.setPlan(trx, orgId, to);
    if (from === to) return;
    const fromPlan = planById(from).id;
    for (const hook of deps.onPlanChanged)
      await hook(trx, { organizationId: orgId, from: fromPlan, to, reason });
    await deps.events.publish(trx, orgId, 'billing.plan_changed', { from: fromPlan, to });
  }

  async function startCheckout(
    access: OrgAccess,
    order: { kind: 'plan'; plan: PaidPlanId; interval: BillingInterval } | { kind: 'pack'; type: UsageType },
  ): Promise<{ url: string }> {
    const orgId = access.org.id;
    const now = deps.clock.now();
    let amountCents: number;
    let description: string;
    if (order.kind === 'plan') {
      const current = await deps.subscriptions.ofOrg(orgId);
      if (
        current &&
        current.status !== 'canceled' &&
        current.plan === order.plan &&
        current.billing_interval === order.interval
      )
        throw errors.ALREADY_SUBSCRIBED();
      const plan = PLANS[order.plan];
      amountCents = plan.priceCents[order.interval];
      description = `backlex ${plan.name} (${order.interval})`;
    } else {
      const pack = PACKS[order.type];
      amountCents = pack.priceCents;
      description = `backlex ${order.type} pack (${pack.unitsPerPack.toLocaleString('en-US')} units)`;
    }
    const checkoutId = randomUUID();
    await deps.checkouts.insert({
      id: checkoutId,
      org_id: orgId,
      kind: order.kind,
      plan: order.kind === 'plan' ? order.plan : null,
      billing_interval: order.kind === 'plan' ? order.interval : null,
      pack_type: order.kind === 'pack' ? order.type : null,
      amount_cents: amountCents,
      provider: provider.id,
      provider_session_id: null,
      status: 'open',
      created_by: auditActor(access.principal).id,
      created_at: now,
      completed_at: null,
    });
    const customer = await deps.customers.ofOrg(orgId, provider.id);
    let session: { url: string; sessionId: string };
    try {
      session = await provider.createCheckout({
        checkoutId,
        orgId,
        customerId: customer?.provider_customer_id ?? null,
        description,
        amountCents,
        savePaymentMethod: order.kind === 'plan',
        successUrl: billingPageUrl(access.org.slug, 'success'),
        cancelUrl: billingPageUrl(access.org.slug, 'canceled'),
      });
    } catch (error) {
      deps.logWarning('billing: the provider refused or missed a checkout', {
        provider: provider.id,
        err: (error as Error).message,
      });
      throw errors.PAYMENT_PROVIDER_UNAVAILABLE();
    }
    await deps.checkouts.setSession(checkoutId, session.sessionId);
    return { url: session.url };
  }

  // ── webhook effects (each in the transaction that records the event id)

  async function checkoutCompleted(trx: Trx, event: Extract<BillingEvent, { type: 'checkout.completed' }>) {
    const checkout = await deps.checkouts.lock(trx, event.checkoutId);
    if (checkout?.status !== 'open' || checkout.provider !== provider.id) return 'ignored';
    if (event.amountCents !== checkout.amount_cents) {
      deps.logWarning('billing: a checkout was paid with another amount; ignored', {
        checkoutId: checkout.id,
        expected: checkout.amount_cents,
        paid: event.amountCents,
      });
      return 'ignored';
    }
    const now = deps.clock.now();
    const org = await deps.orgs.lockActive(trx, checkout.org_id);
    if (!org) {
      await deps.checkouts.cancelOpenOfOrg(trx, checkout.org_id);
      return 'ignored';
    }
    await deps.customers.put(
      trx,
      {
        org_id: org.id,
        provider: provider.id,
        provider_customer_id: event.customerId,
        provider_payment_method_id: event.paymentMethodId,
        card_brand: event.cardBrand,
        card_last4: event.cardLast4,
      },
      now,
    );
    await deps.checkouts.complete(trx, checkout.id, now);
    if (checkout.kind === 'plan') {
      const planId = checkout.plan as PaidPlanId;
      const interval = checkout.billing_interval as BillingInterval;
      const periodEnd = addInterval(now, interval);
      const previous = await deps.subscriptions.lockOfOrg(trx, org.id);
      if (previous) {
        const open = await deps.invoices.lockOpenRenewal(trx, previous.id);
        if (open) await deps.invoices.writeOff(trx, open, 'void', now);
      }
      const invoice = await deps.invoices.issue(
        trx,
        {
          id: randomUUID(),
          orgId: org.id,
          kind: 'subscription',
          description: `backlex ${PLANS[planId].name} (${interval})`,
          amountCents: checkout.amount_cents,
          periodStart: now,
          periodEnd,
          checkoutId: checkout.id,
          subscriptionId: null,
        },
        now,
      );
      await deps.invoices.markPaid(trx, invoice, now);
      const subscription = await deps.subscriptions.put(
        trx,
        randomUUID(),
        org.id,
        {
          plan: planId,
          billing_interval: interval,
          status: 'active',
          provider: provider.id,
          amount_cents: checkout.amount_cents,
          current_period_start: now,
          current_period_end: periodEnd,
          cancel_at_period_end: false,
          ends_at: null,
          canceled_at: null,
          failed_renewals: 0,
          next_attempt_at: null,
        },
        now,
      );
      await changePlan(trx, org.id, org.planId, planId, 'checkout');
      await deps.events.publish(trx, org.id, 'billing.invoice_paid', {
        invoiceId: invoice.id,
        amountCents: invoice.amount_cents,
      });
      await deps.audit.record(trx, {
        organizationId: org.id,
        actor: systemActor,
        action: 'billing.subscribed',
        target: { type: 'subscription', id: subscription.id },
        data: {
          from: org.planId,
          plan: planId,
          interval,
          invoiceId: invoice.id,
          amountCents: invoice.amount_cents,
        },
      });
      return 'subscribed';
    }
    const type = checkout.pack_type as UsageType;
    const period = await currentPeriod(org.id, now);
    const invoice = await deps.invoices.issue(
      trx,
      {
        id: randomUUID(),
        orgId: org.id,
        kind: 'pack',
        description: `backlex ${type} pack`,
        amountCents: checkout.amount_cents,
        periodStart: period.start,
        periodEnd: period.end,
        checkoutId: checkout.id,
        subscriptionId: null,
      },
      now,
    );
    await deps.invoices.markPaid(trx, invoice, now);
    const packId = randomUUID();
    await deps.packs.insert(trx, {
      id: packId,
      org_id: org.id,
      pack_type: type,
      quantity: 1,
      units_per_pack: PACKS[type].unitsPerPack,
      invoice_id: invoice.id,
      period_start: period.start,
      period_end: period.end,
      created_at: now,
    });
    await deps.events.publish(trx, org.id, 'billing.invoice_paid', {
      invoiceId: invoice.id,
      amountCents: invoice.amount_cents,
    });
    await deps.audit.record(trx, {
      organizationId: org.id,
      actor: systemActor,
      action: 'billing.pack_purchased',
      target: { type: 'pack', id: packId },
      data: {
        type,
        units: PACKS[type].unitsPerPack,
        invoiceId: invoice.id,
        amountCents: invoice.amount_cents,
      },
    });
    return 'pack';
  }

  async function paymentMethodUpdated(
    trx: Trx,
    event: Extract<BillingEvent, { type: 'payment_method.updated' }>,
  ) {
    const known = await deps.customers.byProviderCustomer(provider.id, event.customerId);
    // The customer must be the org's (a sandbox link names both; Stripe's customer names the org).
    if (!known || (event.orgId !== null && known.org_id !== event.orgId)) return 'ignored';
    const now = deps.clock.now();
    await deps.customers.put(
      trx,
      {
        org_id: known.org_id,
        provider: provider.id,
        provider_customer_id: event.customerId,
        provider_payment_method_id: event.paymentMethodId,
        card_brand: event.cardBrand,
        card_last4: event.cardLast4,
      },
      now,
    );
    await deps.audit.record(trx, {
      organizationId: known.org_id,
      actor: systemActor,
      action: 'billing.payment_method_updated',
      target: null,
      data: { cardBrand: event.cardBrand, cardLast4: event.cardLast4 },
    });
    return 'payment_method';
  }

  async function renewalPaid(trx: Trx, event: Extract<BillingEvent, { type: 'invoice.payment_succeeded' }>) {
    const invoice = await deps.invoices.lock(trx, event.invoiceId);
    if (invoice?.status !== 'open' || invoice.kind !== 'renewal' || !invoice.subscription_id)
      return 'ignored';
    const now = deps.clock.now();
    await deps.invoices.markPaid(trx, invoice, now);
    const subscription = await deps.subscriptions.lockById(trx, invoice.subscription_id);
    if (subscription && subscription.status !== 'canceled' && invoice.period_start && invoice.period_end) {
      await deps.subscriptions.update(
        trx,
        subscription.id,
        {
          status: 'active',
          current_period_start: invoice.period_start,
          current_period_end: invoice.period_end,
          failed_renewals: 0,
          next_attempt_at: null,
        },
        now,
      );
    }
    await deps.events.publish(trx, invoice.org_id, 'billing.invoice_paid', {
      invoiceId: invoice.id,
      amountCents: invoice.amount_cents,
    });
    await deps.audit.record(trx, {
      organizationId: invoice.org_id,
      actor: systemActor,
      action: 'billing.renewed',
      target: { type: 'invoice', id: invoice.id },
      data: { amountCents: invoice.amount_cents, periodEnd: iso(invoice.period_end) },
    });
    return 'renewed';
  }

  async function renewalFailed(trx: Trx, event: Extract<BillingEvent, { type: 'invoice.payment_failed' }>) {
    const invoice = await deps.invoices.lock(trx, event.invoiceId);
    if (invoice?.status !== 'open' || invoice.kind !== 'renewal' || !invoice.subscription_id)
      return 'ignored';
    const subscription = await deps.subscriptions.lockById(trx, invoice.subscription_id);
    if (!subscription || subscription.status === 'canceled') return 'ignored';
    const now = deps.clock.now();
    const failures = subscription.failed_renewals + 1;
    await deps.events.publish(trx, invoice.org_id, 'billing.payment_failed', {
      invoiceId: invoice.id,
      amountCents: invoice.amount_cents,
      attempt: invoice.attempts,
    });
    const retryDays = RENEWAL_RETRY_DAYS[failures - 1];
    if (retryDays !== undefined) {
      const nextAttemptAt = new Date(now.getTime() + retryDays * DAY_MS);
      await deps.subscriptions.update(
        trx,
        subscription.id,
        { status: 'past_due', failed_renewals: failures, next_attempt_at: nextAttemptAt },
        now,
      );
      await deps.audit.record(trx, {
        organizationId: invoice.org_id,
        actor: systemActor,
        action: 'billing.payment_failed',
        target: { type: 'invoice', id: invoice.id },
        data: { attempt: invoice.attempts, reason: event.reason, nextAttemptAt: nextAttemptAt.toISOString() },
      });
      return 'past_due';
    }
    // Retries exhausted: the invoice is written off and the org drops to free.
    await deps.invoices.writeOff(trx, invoice, 'uncollectible', now);
    await deps.subscriptions.update(
      trx,
      subscription.id,
      {
        status: 'canceled',
        failed_renewals: failures,
        next_attempt_at: null,
        ends_at: now,
        canceled_at: now,
      },
      now,
    );
    const org = await deps.orgs.lockActive(trx, invoice.org_id);
    if (org) await changePlan(trx, org.id, org.planId, 'free', 'renewal_failed');
    await deps.audit.record(trx, {
      organizationId: invoice.org_id,
      actor: systemActor,
      action: 'billing.downgraded',
      target: { type: 'subscription', id: subscription.id },
      data: { from: subscription.plan, to: 'free', reason: 'renewal_failed', invoiceId: invoice.id },
    });
    return 'downgraded';
  }

  // ── renewals (the scheduled job)

  async function endSubscription(id: string, now: Date): Promise<boolean> {
    return deps.transaction(async (trx) => {
      const subscription = await deps.subscriptions.lockById(trx, id);
      if (
        !subscription ||
        subscription.status === 'canceled' ||
        !subscription.cancel_at_period_end ||
        subscription.current_period_end.getTime() > now.getTime()
      )
        return false;
      const open = await deps.invoices.lockOpenRenewal(trx, subscription.id);
      if (open) await deps.invoices.writeOff(trx, open, 'void', now);
      await deps.subscriptions.update(
        trx,
        subscription.id,
        { status: 'canceled', next_attempt_at: null },
        now,
      );
      const org = await deps.orgs.lockActive(trx, subscription.org_id);
      if (org) await changePlan(trx, org.id, org.planId, 'free', 'subscription_ended');
      await deps.audit.record(trx, {
        organizationId: subscription.org_id,
        actor: systemActor,
        action: 'billing.subscription_ended',
        target: { type: 'subscription', id: subscription.id },
        data: { plan: subscription.plan, endsAt: iso(subscription.ends_at) },
      });
      return true;
    });
  }

  async function issueRenewal(id: string, now: Date): Promise<boolean> {
    return deps.transaction(async (trx) => {
      const subscription = await deps.subscriptions.lockById(trx, id);
      if (
        subscription?.status !== 'active' ||
        subscription.cancel_at_period_end ||
        subscription.next_attempt_at !== null ||
        subscription.current_period_end.getTime() > now.getTime() ||
        (await deps.invoices.lockOpenRenewal(trx, subscription.id))
      )
        return false;
      const plan = planById(subscription.plan);
      const interval = subscription.billing_interval as BillingInterval;
      const amountCents = plan.priceCents[interval];
      await deps.invoices.issue(
        trx,
        {
          id: randomUUID(),
          orgId: subscription.org_id,
          kind: 'renewal',
          description: `backlex ${plan.name} (${interval}) renewal`,
          amountCents,
          periodStart: subscription.current_period_end,
          periodEnd: addInterval(subscription.current_period_end, interval),
          checkoutId: null,
          subscriptionId: subscription.id,
        },
        now,
      );
      await deps.subscriptions.update(
        trx,
        subscription.id,
        { amount_cents: amountCents, next_attempt_at: now },
        now,
      );
      return true;
    });
  }

  async function chargeRenewal(id: string, now: Date): Promise<boolean> {
    const claim = await deps.transaction(async (trx) => {
      const subscription = await deps.subscriptions.lockById(trx, id);
      if (
        !subscription ||
        subscription.status === 'canceled' ||
        !subscription.next_attempt_at ||
        subscription.next_attempt_at.getTime() > now.getTime()
      )
        return undefined;
      // Claimed: the webhook of this attempt sets the next one (or none).
      await deps.subscriptions.update(trx, subscription.id, { next_attempt_at: null }, now);
      const open = await deps.invoices.lockOpenRenewal(trx, subscription.id);
      if (!open) return undefined;
      return { subscription, invoice: await deps.invoices.countAttempt(trx, open.id) };
    });
    if (!claim) return false;
    const { subscription, invoice } = claim;
    const customer = await deps.customers.ofOrg(subscription.org_id, provider.id);
    try {
      if (!customer) throw new Error('the org has no customer at the provider');
      await provider.chargeInvoice({
        invoiceId: invoice.id,
        orgId: subscription.org_id,
        customerId: customer.provider_customer_id,
        paymentMethodId: customer.provider_payment_method_id,
        amountCents: invoice.amount_cents,
        description: invoice.description,
        attempt: invoice.attempts,
      });
    } catch (error) {
      deps.logWarning('billing: a renewal charge did not reach the provider; tried again later', {
        invoiceId: invoice.id,
        err: (error as Error).message,
      });
      await deps.transaction(async (trx) => {
        const locked = await deps.subscriptions.lockById(trx, subscription.id);
        if (locked && locked.status !== 'canceled' && locked.next_attempt_at === null)
          await deps.subscriptions.update(
            trx,
            locked.id,
            { next_attempt_at: new Date(now.getTime() + CHARGE_CALL_RETRY_MS) },
            now,
          );
      });
    }
    return true;
  }

  return {
    async snapshot(access: OrgAccess) {
      const orgId = access.org.id;
      const now = deps.clock.now();
      const [subscription, invoices, packs, active, customer] = await Promise.all([
        deps.subscriptions.ofOrg(orgId),
        deps.invoices.listOfOrg(orgId, 100),
        deps.packs.listOfOrg(orgId, 100),
        deps.packs.activeAt(orgId, now),
        deps.customers.ofOrg(orgId, provider.id),
      ]);
      const units = topupUnits(active);
      const topups = USAGE_TYPES.map((type) => ({ type, units: units[type] }));
      let paymentMethod = null;
      if (customer) {
        let urls: { customerPortalUrl: string | null; updatePaymentMethodUrl: string | null } = {
          customerPortalUrl: null,
          updatePaymentMethodUrl: null,
        };
        try {
          urls = await provider.portalUrls(orgId, customer.provider_customer_id);
        } catch (error) {
          deps.logWarning('billing: no portal link from the provider', { err: (error as Error).message });
        }
        const live = subscription && subscription.status !== 'canceled' ? subscription : undefined;
        paymentMethod = {
          cardBrand: customer.card_brand,
          cardLastFour: customer.card_last4,
          renewsAt: live && !live.cancel_at_period_end ? live.current_period_end.toISOString() : null,
          status: live ? live.status : null,
          ...urls,
        };
      }
      return {
        plan: access.org.planId,
        subscription: subscription ? subscriptionView(subscription) : null,
        invoices: invoices.map(invoiceView),
        packs: packs.map((pack) => packView(pack, now)),
        topups,
        enforcement: deps.enforcement
          ? await deps.enforcement(orgId)
          : { requestThrottled: false, storageReadOnly: false },
        paymentMethod,
      };
    },

    /**
     * The usage area's view of the org at billing's now: the current period and the units packs
     * add to it (`topups`, per type); the plan's own allowances are in the plan catalogue.
     */
    async allowance(orgId: string): Promise<{
      now: Date;
      period: { start: Date; end: Date };
      topups: Record<UsageType, number>;
    }> {
      const now = deps.clock.now();
      const [period, active] = await Promise.all([
        currentPeriod(orgId, now),
        deps.packs.activeAt(orgId, now),
      ]);
      return { now, period, topups: topupUnits(active) };
    },

    checkout(access: OrgAccess, input: { plan: PaidPlanId; interval: BillingInterval }) {
      return startCheckout(access, { kind: 'plan', ...input });
    },

    packCheckout(access: OrgAccess, input: { type: UsageType }) {
      return startCheckout(access, { kind: 'pack', type: input.type });
    },

    /** Cancel at period end (idempotent); the org keeps its plan until `endsAt`. */
    async cancel(access: OrgAccess): Promise<{ status: string | null; endsAt: string | null }> {
      return deps.transaction(async (trx) => {
        const subscription = await deps.subscriptions.lockOfOrg(trx, access.org.id);
        if (!subscription || subscription.status === 'canceled') throw errors.NO_SUBSCRIPTION();
        if (subscription.cancel_at_period_end)
          return { status: subscription.status, endsAt: iso(subscription.ends_at) };
        const now = deps.clock.now();
        const endsAt = subscription.current_period_end;
        const updated = await deps.subscriptions.update(
          trx,
          subscription.id,
          { cancel_at_period_end: true, ends_at: endsAt, canceled_at: now },
          now,
        );
        await deps.events.publish(trx, access.org.id, 'billing.subscription_cancelled', {
          planId: subscription.plan,
          endsAt: endsAt.toISOString(),
        });
        await deps.audit.record(trx, {
          organizationId: access.org.id,
          actor: auditActor(access.principal),
          action: 'billing.subscription_cancelled',
          target: { type: 'subscription', id: subscription.id },
          ip: access.ip,
          data: { plan: subscription.plan, endsAt: endsAt.toISOString() },
        });
        return { status: updated.status, endsAt: iso(updated.ends_at) };
      });
    },

    /** Undo a cancel before `endsAt` (idempotent on a subscription that is not cancelled). */
    async resume(access: OrgAccess): Promise<{ status: string | null; endsAt: string | null }> {
      return deps.transaction(async (trx) => {
        const subscription = await deps.subscriptions.lockOfOrg(trx, access.org.id);
        if (!subscription) throw errors.NO_SUBSCRIPTION();
        const now = deps.clock.now();
        if (
          subscription.status === 'canceled' ||
          (subscription.ends_at && subscription.ends_at.getTime() <= now.getTime())
        )
          throw errors.SUBSCRIPTION_ENDED();
        if (!subscription.cancel_at_period_end) return { status: subscription.status, endsAt: null };
        const updated = await deps.subscriptions.update(
          trx,
          subscription.id,
          { cancel_at_period_end: false, ends_at: null, canceled_at: null },
          now,
        );
        await deps.audit.record(trx, {
          organizationId: access.org.id,
          actor: auditActor(access.principal),
          action: 'billing.subscription_resumed',
          target: { type: 'subscription', id: subscription.id },
          ip: access.ip,
          data: { plan: subscription.plan },
        });
        return { status: updated.status, endsAt: null };
      });
    },

    /**
     * `POST /api/billing/webhooks/{provider}`: verified by the provider (else 400), then applied
     * once per event id, in one transaction with the record of that id.
     */
    async handleWebhook(
      providerId: string,
      rawBody: Buffer,
      headers: IncomingHttpHeaders,
    ): Promise<{ received: true; duplicate: boolean }> {
      if (providerId !== provider.id) throw errors.NOT_FOUND();
      let event: BillingEvent;
      try {
        event = await provider.parseWebhook(rawBody, headers);
      } catch (error) {
        if (error instanceof WebhookRejectedError) throw errors.INVALID_WEBHOOK();
        // A genuine event we could not complete (the provider did not answer a lookup): it retries.
        deps.logWarning('billing: a webhook could not be read', {
          provider: provider.id,
          err: (error as Error).message,
        });
        throw errors.PAYMENT_PROVIDER_UNAVAILABLE();
      }
      const outcome = await deps.transaction(async (trx) => {
        if (!(await deps.webhookEvents.claim(trx, provider.id, event.id, event.providerType)))
          return 'duplicate';
        if (!ownsIds(event)) return 'ignored';
        switch (event.type) {
          case 'checkout.completed':
            return checkoutCompleted(trx, event);
          case 'payment_method.updated':
            return paymentMethodUpdated(trx, event);
          case 'invoice.payment_succeeded':
            return renewalPaid(trx, event);
          case 'invoice.payment_failed':
            return renewalFailed(trx, event);
          default:
            return 'ignored';
        }
      });
      return { received: true, duplicate: outcome === 'duplicate' };
    },

    /**
     * What the renewal job runs, at the clock's now: subscriptions cancelled at period end reach
     * it and end (free); due ones get a renewal invoice; due charges (first or retry) go to the
     * provider, whose webhook settles them.
     */
    async runRenewals(): Promise<{ ended: number; invoiced: number; charged: number }> {
      const now = deps.clock.now();
      let ended = 0;
      let invoiced = 0;
      let charged = 0;
      for (const id of await deps.subscriptions.endingBy(now)) if (await endSubscription(id, now)) ended += 1;
      for (const id of await deps.subscriptions.renewableBy(now))
        if (await issueRenewal(id, now)) invoiced += 1;
      for (const id of await deps.subscriptions.chargeableBy(now))
        if (await chargeRenewal(id, now)) charged += 1;
      return { ended, invoiced, charged };
    },

    /** The `onOrgDeleted` hook: the subscription ends at once, open invoices and checkouts are voided. */
    async orgDeleted(trx: Trx, orgId: string): Promise<void> {
      const now = deps.clock.now();
      await deps.checkouts.cancelOpenOfOrg(trx, orgId);
      for (const invoice of await deps.invoices.openOfOrg(trx, orgId))
        await deps.invoices.writeOff(trx, invoice, 'void', now);
      const subscription = await deps.subscriptions.lockOfOrg(trx, orgId);
      if (!subscription || subscription.status === 'canceled') return;
      await deps.subscriptions.update(
        trx,
        subscription.id,
        {
          status: 'canceled',
          cancel_at_period_end: false,
          ends_at: now,
          canceled_at: now,
          next_attempt_at: null,
        },
        now,
      );
      await deps.orgs.setPlan(trx, orgId, 'free');
      await deps.events.publish(trx, orgId, 'billing.subscription_cancelled', {
        planId: subscription.plan,
        endsAt: now.toISOString(),
      });
      await deps.audit.record(trx, {
        organizationId: orgId,
        actor: systemActor,
        action: 'billing.subscription_cancelled',
        target: { type: 'subscription', id: subscription.id },
        data: { plan: subscription.plan, endsAt: now.toISOString(), reason: 'org_deleted' },
      });
    },
  };
}

export type Billing = ReturnType<typeof createBilling>;
