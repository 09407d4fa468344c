import type { Outbox } from '@trustplane/kernel';
import type { Kysely, Transaction } from 'kysely';
import type { TenantRow } from '../db/tenant-repository.js';
import type { UsageEventName, VerifactDatabase } from '../db/tables.js';
import type { UsageEventRow, UsageRepository } from '../db/usage-repository.js';
import { errors } from '../errors.js';
import { paiseToInr, percentOf } from './money.js';

/** Share of `pricePerClaim` each event costs (the seed's billing section). */
const EVENT_PERCENT: Record<UsageEventName, number> = {
  api_verify: 10,
  claim_set_billed: 100,
  claim_triage: 0,
  photo_downloaded: 0,
};

export const CAP_REACHED_TOPIC = 'verifact.cap.reached';

/** `YYYY-MM` of the UTC month holding `at`. */
export function billingCycle(at: Date): string {
  return at.toISOString().slice(0, 7);
}

function inAnnualWindow(tenant: TenantRow, at: Date): boolean {
  return (
    tenant.annual_start !== null &&
    tenant.annual_end !== null &&
    at >= tenant.annual_start &&
    at < tenant.annual_end
  );
}

/** Price of one event in paise, fixed when it happens: an annual plan covers its window. */
export function unitPrice(tenant: TenantRow, event: UsageEventName, at: Date): number {
  if (tenant.billing_mode === 'per_year' && inAnnualWindow(tenant, at)) return 0;
  return percentOf(tenant.price_per_claim_paise, EVENT_PERCENT[event]);
}

export interface ChargeOutcome {
  /** Set when a soft cap was already reached: the `Warning` header to send. */
  warning?: string;
}

export function createBilling(deps: {
  db: Kysely<VerifactDatabase>;
  usage: UsageRepository;
  outbox: Outbox;
}) {
  const { db, usage, outbox } = deps;

  async function meter(
    trx: Kysely<VerifactDatabase> | Transaction<VerifactDatabase>,
    tenant: TenantRow,
    event: UsageEventName,
    claim?: { id: string; claimNumber: string },
  ): Promise<UsageEventRow> {
    return usage.record(trx, {
      tenantId: tenant.id,
      event,
      unitPricePaise: unitPrice(tenant, event, new Date()),
      claimId: claim?.id ?? null,
      claimNumber: claim?.claimNumber ?? null,
    });
  }

  return {
    meter,
    /**
     * Meters `api_verify` unless the tenant uploaded a photo with this SHA-256 (that photo's
     * verification meters inside its own transaction): the event's id, or undefined.
     */
    meterVerifyUnlessUploaded(tenant: TenantRow, sha256: string): Promise<string | undefined> {
      return usage.recordUnlessPhoto(
        {
          tenantId: tenant.id,
          event: 'api_verify',
          unitPricePaise: unitPrice(tenant, 'api_verify', new Date()),
        },
        sha256,
      );
    },
    /** Takes back an event written ahead of an answer that then failed. */
    unmeter(eventId: string): Promise<void> {
      return usage.removeUnbilled(db, eventId);
    },
    /**
     * Bills a claim's first move to `under_review`. The caller holds the tenant row lock, so
     * concurrent transitions of one tenant count billed claims one after another: a hard cap is
     * never overshot. Hard at used ≥ limit refuses (402, nothing written); soft passes with a
     * warning; alert passes. Reaching the cap publishes one `verifact.cap.reached` a month.
     */
    async chargeClaim(
      trx: Transaction<VerifactDatabase>,
      tenant: TenantRow,
      claim: { id: string; claimNumber: string },
    ): Promise<ChargeOutcome> {
      if (await usage.claimBilled(trx, claim.id)) return {};
      const now = new Date();
      const limit = tenant.cap_limit;
      const used = await usage.billedClaimsInMonth(trx, tenant.id, now);
      const outcome: ChargeOutcome = {};
      if (limit !== null && used >= limit) {
        if (tenant.cap_mode === 'hard') throw errors.capExceeded(limit);
        if (tenant.cap_mode === 'soft') {
          outcome.warning = `299 verifact "Monthly claim cap of ${limit} reached; this claim is billed over the cap"`;
        }
      }
      await meter(trx, tenant, 'claim_set_billed', claim);
      if (limit !== null && used + 1 >= limit) {
        const cycle = billingCycle(now);
        if (await usage.recordCapNotice(trx, tenant.id, cycle)) {
          await outbox.publish(trx, {
            topic: CAP_REACHED_TOPIC,
            payload: {
              version: 1,
              tenant: tenant.code,
              mode: tenant.cap_mode,
              limit,
              used: used + 1,
              billingCycle: cycle,
            },
          });
        }
      }
      return outcome;
    },
    async plan(tenant: TenantRow, now = new Date()) {
      const used = await usage.billedClaimsInMonth(db, tenant.id, now);
      return planJson(tenant, used, now);
    },
    /** Usage of the inclusive UTC dates `from`..`to` (`YYYY-MM-DD`). */
    async usageReport(tenant: TenantRow, from: string, to: string) {
      const start = new Date(`${from}T00:00:00.000Z`);
      const end = new Date(`${to}T00:00:00.000Z`);
      end.setUTCDate(end.getUTCDate() + 1);
      const totals = await usage.totals(tenant.id, start, end);
      const unbilledEvents = await usage.unbilled(tenant.id, start, end, 20);
      const sum = (pick: (entry: (typeof totals)[number]) => number) =>
        totals.reduce((total, entry) => total + pick(entry), 0);
      const unbilledCount = sum((entry) => entry.unbilledCount);
      const unbilledAmount = paiseToInr(sum((entry) => entry.unbilledAmountPaise));
      return {
        tenant: {
          insurerCode: tenant.code,
          tier: tenant.tier,
          pricePerClaim: paiseToInr(tenant.price_per_claim_paise),
        },
        period: { from: start.toISOString(), to: new Date(end.getTime() - 1).toISOString() },
        summary: {
          tenantId: tenant.id,
          totalEvents: sum((entry) => entry.count),
          unbilledEvents: unbilledCount,
          totalAmount: paiseToInr(sum((entry) => entry.amountPaise)),
          unbilledAmount,
          byEvent: Object.fromEntries(
            totals.map((entry) => [
              entry.event,
              { count: entry.count, amount: paiseToInr(entry.amountPaise) },
            ]),
          ),
        },
        unbilled: {
          count: unbilledCount,
          amount: unbilledAmount,
          events: unbilledEvents.map((event) => ({
            id: event.id,
            event: event.event,
            claimNumber: event.claim_number,
            unitPrice: paiseToInr(event.unit_price_paise),
            quantity: event.quantity,
            createdAt: event.created_at.toISOString(),
          })),
        },
      };
    },
  };
}

export function planJson(tenant: TenantRow, used: number, now: Date) {
  const limit = tenant.cap_limit;
  const overCap = limit !== null && used >= limit;
  return {
    billingMode: tenant.billing_mode,
    pricePerClaim: paiseToInr(tenant.price_per_claim_paise),
    monthlyCap: {
      mode: tenant.cap_mode,
      limit,
      used,
      remaining: limit === null ? null : Math.max(0, limit - used),
      overCap,
      blocked: tenant.cap_mode === 'hard' && overCap,
    },
    billingStatus: tenant.billing_status,
    billingGraceDays: tenant.billing_grace_days,
    annualPlan: {
      active: inAnnualWindow(tenant, now),
      start: tenant.annual_start ? tenant.annual_start.toISOString() : null,
      end: tenant.annual_end ? tenant.annual_end.toISOString() : null,
    },
    billingCycle: billingCycle(now),
    tenant: { insurerCode: tenant.code, name: tenant.name, tier: tenant.tier },
  };
}

export type Billing = ReturnType<typeof createBilling>;
