import { defineScheduledJob } from '@trustplane/kernel';
import type { Billing } from '../billing/billing.js';

export const BILLING_RENEWALS_QUEUE = 'backlex.billing-renewals';

/**
 * Every 10 minutes: ends subscriptions cancelled at period end, issues due renewal invoices and
 * sends due charges (first tries and retries). Idempotent: each step re-reads its row under lock.
 */
export function billingRenewalsJob(billing: () => Billing) {
  return defineScheduledJob({
    name: BILLING_RENEWALS_QUEUE,
    cron: '*/10 * * * *',
    retry: { limit: 2, delaySeconds: 60, backoff: true },
    timeoutSeconds: 300,
    done: 'backlex: billing renewals',
    run: () => billing().runRenewals(),
  });
}
