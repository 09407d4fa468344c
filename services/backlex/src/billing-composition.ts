import { createHmac } from 'node:crypto';
import { perContext, type ServiceContext } from '@trustplane/kernel';
import { createAuditLog } from './audit/audit.js';
import { type Billing, createBilling } from './billing/billing.js';
import { createSwitchableClock } from './billing/clock.js';
import { PROVIDER_IDS, type BillingProvider, type ProviderId } from './billing/provider.js';
import { createSandboxProvider, type SandboxBilling } from './billing/sandbox-provider.js';
import { createStripeProvider } from './billing/stripe-provider.js';
import { createAuditRepository } from './db/audit-repository.js';
import { createCheckoutRepository } from './db/billing-checkout-repository.js';
import { createCustomerRepository } from './db/billing-customer-repository.js';
import { createInvoiceRepository } from './db/billing-invoice-repository.js';
import { createPackRepository } from './db/billing-pack-repository.js';
import { createSandboxRepository } from './db/billing-sandbox-repository.js';
import { createSubscriptionRepository } from './db/billing-subscription-repository.js';
import { createWebhookEventRepository } from './db/billing-webhook-event-repository.js';
import { createOrgRepository } from './db/org-repository.js';
import type { BacklexDatabase } from './db/tables.js';
import { backlexEvents } from './events-composition.js';
import { billingRenewalsJob } from './jobs/billing-renewals.js';
import { backlexProjects } from './projects-composition.js';
import { backlexUsage } from './usage-composition.js';

export interface BillingSettings {
  provider: ProviderId;
  stripe?: { secretKey: string; webhookSecret: string; apiUrl?: string };
}

/**
 * `BACKLEX_BILLING_PROVIDER` (`sandbox` default, or `stripe`); with stripe, `STRIPE_SECRET_KEY`
 * and `STRIPE_WEBHOOK_SECRET` are required and `BACKLEX_STRIPE_API_URL` (tests only) points the
 * SDK at a stub of the Stripe API.
 */
export function loadBillingSettings(env: NodeJS.ProcessEnv): BillingSettings {
  const provider = (env.BACKLEX_BILLING_PROVIDER || 'sandbox') as ProviderId;
  if (!PROVIDER_IDS.includes(provider))
    throw new Error(`BACKLEX_BILLING_PROVIDER: must be one of ${PROVIDER_IDS.join(', ')}`);
  if (provider === 'sandbox') return { provider };
  const secretKey = env.STRIPE_SECRET_KEY ?? '';
  const webhookSecret = env.STRIPE_WEBHOOK_SECRET ?? '';
  const problems: string[] = [];
  if (!secretKey) problems.push('STRIPE_SECRET_KEY: required when BACKLEX_BILLING_PROVIDER=stripe');
  if (!webhookSecret.startsWith('whsec_'))
    problems.push('STRIPE_WEBHOOK_SECRET: required (whsec_…) when BACKLEX_BILLING_PROVIDER=stripe');
  const apiUrl = env.BACKLEX_STRIPE_API_URL || undefined;
  if (apiUrl !== undefined && !/^https?:\/\/[^/]+\/?$/.test(apiUrl))
    problems.push('BACKLEX_STRIPE_API_URL: must be an http(s) origin such as http://127.0.0.1:12111');
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return { provider, stripe: { secretKey, webhookSecret, ...(apiUrl ? { apiUrl } : {}) } };
}

/** Billing, one per context: shared by the HTTP app (routes, org deletion) and the renewal job. */
export function createBacklexBilling(context: ServiceContext) {
  const db = context.database<BacklexDatabase>().kysely;
  const transaction = context.database<BacklexDatabase>().transaction;
  const settings = loadBillingSettings(context.env);
  const clock = createSwitchableClock();
  let sandbox: SandboxBilling | undefined;
  let provider: BillingProvider;
  if (settings.provider === 'stripe' && settings.stripe) {
    provider = createStripeProvider({ ...settings.stripe, returnUrl: `${context.publicUrl}/` });
  } else {
    sandbox = createSandboxProvider({
      repository: createSandboxRepository(db),
      transaction,
      publicUrl: context.publicUrl,
      secret: createHmac('sha256', context.signingSecret).update('backlex:billing-sandbox').digest('hex'),
      clock,
    });
    provider = sandbox.provider;
  }
  const billing: Billing = createBilling({
    transaction,
    subscriptions: createSubscriptionRepository(db),
    customers: createCustomerRepository(db),
    checkouts: createCheckoutRepository(db),
    invoices: createInvoiceRepository(db),
    packs: createPackRepository(db),
    webhookEvents: createWebhookEventRepository(),
    orgs: createOrgRepository(db),
    audit: createAuditLog(createAuditRepository(db)),
    events: backlexEvents(context).events,
    provider,
    clock,
    publicUrl: context.publicUrl,
    // In the plan change's transaction: a downgrade pauses the projects over the new plan's limit.
    onPlanChanged: [(trx, change) => backlexProjects(context).projects.pauseOverPlanLimit(trx, change)],
    // Usage (h17-usage): the stored per-org state the data API enforces.
    enforcement: (orgId) => backlexUsage(context).enforcementOf(orgId),
    logWarning: (message, fields) => context.logger.warn(fields, message),
  });
  return {
    billing,
    /** The sandbox's pages and sender; undefined when Stripe is the provider. */
    sandbox,
    /** Test seam: `clock.use({ now: () => date })` moves billing's time (renewals, periods). */
    clock,
    renewalsJob: billingRenewalsJob(() => billing),
  };
}

export type BacklexBilling = ReturnType<typeof createBacklexBilling>;

export const backlexBilling: (context: ServiceContext) => BacklexBilling = perContext(createBacklexBilling);
