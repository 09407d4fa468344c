import type { Kysely, Transaction } from 'kysely';
import { planIdOf } from '../db/org-repository.js';
import type { BacklexDatabase } from '../db/tables.js';

/**
 * The plan catalogue (issue 17: "no prices in the seed → one plan catalogue module"). Limits,
 * allowances per billing period and prices in integer cents, modelled on Cloudflare Workers / D1
 * tiers. README "Billing → Plans" lists the same numbers; change both together.
 */
export const PLAN_IDS = ['free', 'pro', 'scale', 'max'] as const;
export type PlanId = (typeof PLAN_IDS)[number];
export const PAID_PLAN_IDS = ['pro', 'scale', 'max'] as const;
export type PaidPlanId = (typeof PAID_PLAN_IDS)[number];

export const BILLING_INTERVALS = ['monthly', 'annual'] as const;
export type BillingInterval = (typeof BILLING_INTERVALS)[number];

/** What the org's usage is counted in: data-API requests, bytes of database, bytes of objects, AI neurons. */
export const USAGE_TYPES = ['requests', 'd1', 'r2', 'neurons'] as const;
export type UsageType = (typeof USAGE_TYPES)[number];

export type Allowances = Readonly<Record<UsageType, number>>;

export interface Plan {
  id: PlanId;
  name: string;
  /** Non-deleted projects an org may have. */
  projects: number;
  /** Live branches per project. */
  branchesPerProject: number;
  /** Custom domains per project (pending and verified alike). */
  domainsPerProject: number;
  /**
   * Point-in-time restore reaches back this many days; `auto` backups older than it are pruned with
   * the history (`manual` ones stay): one window for every way back.
   */
  pitrWindowDays: number;
  /** Units included per billing period (bytes for `d1` and `r2`). */
  allowances: Allowances;
  /** Integer cents per interval; 0 for free. */
  priceCents: Readonly<Record<BillingInterval, number>>;
}

export interface PackOffer {
  type: UsageType;
  /** Units one pack adds to the current period's allowance. */
  unitsPerPack: number;
  priceCents: number;
}

const GB = 1_000_000_000;

export const PLANS: Readonly<Record<PlanId, Plan>> = {
  free: {
    id: 'free',
    name: 'Free',
    projects: 3,
    branchesPerProject: 1,
    domainsPerProject: 2,
    pitrWindowDays: 1,
    allowances: { requests: 3_000_000, d1: 5 * GB, r2: 10 * GB, neurons: 300_000 },
    priceCents: { monthly: 0, annual: 0 },
  },
  pro: {
    id: 'pro',
    name: 'Pro',
    projects: 20,
    branchesPerProject: 5,
    domainsPerProject: 10,
    pitrWindowDays: 7,
    allowances: { requests: 10_000_000, d1: 25 * GB, r2: 50 * GB, neurons: 3_000_000 },
    priceCents: { monthly: 2_500, annual: 25_000 },
  },
  scale: {
    id: 'scale',
    name: 'Scale',
    projects: 100,
    branchesPerProject: 20,
    domainsPerProject: 50,
    pitrWindowDays: 14,
    allowances: { requests: 50_000_000, d1: 100 * GB, r2: 250 * GB, neurons: 15_000_000 },
    priceCents: { monthly: 9_900, annual: 99_000 },
  },
  max: {
    id: 'max',
    name: 'Max',
    projects: 500,
    branchesPerProject: 50,
    domainsPerProject: 100,
    pitrWindowDays: 30,
    allowances: { requests: 250_000_000, d1: 500 * GB, r2: 1_000 * GB, neurons: 75_000_000 },
    priceCents: { monthly: 39_900, annual: 399_000 },
  },
};

/** Prepaid packs: sold to any plan (free included), they add units for the period they are bought in. */
export const PACKS: Readonly<Record<UsageType, PackOffer>> = {
  requests: { type: 'requests', unitsPerPack: 10_000_000, priceCents: 500 },
  d1: { type: 'd1', unitsPerPack: 10 * GB, priceCents: 750 },
  r2: { type: 'r2', unitsPerPack: 100 * GB, priceCents: 1_500 },
  neurons: { type: 'neurons', unitsPerPack: 1_000_000, priceCents: 1_100 },
};

export function isPlanId(value: string): value is PlanId {
  return (PLAN_IDS as readonly string[]).includes(value);
}

/** The plan for a stored `planId`; anything unknown reads as `free` (the safest limits). */
export function planById(planId: string | null | undefined): Plan {
  return planId && isPlanId(planId) ? PLANS[planId] : PLANS.free;
}

/** Days of billing period per interval are calendar: a month or a year from the period start. */
export function addInterval(start: Date, interval: BillingInterval, count = 1): Date {
  const end = new Date(start.getTime());
  if (interval === 'monthly') end.setUTCMonth(end.getUTCMonth() + count);
  else end.setUTCFullYear(end.getUTCFullYear() + count);
  return end;
}

type Executor = Kysely<BacklexDatabase> | Transaction<BacklexDatabase>;

/**
 * An org's current plan, read from `organization.planId` (billing's webhooks are the only writer).
 * Undefined for an unknown org. Pass a transaction to read it under the caller's locks.
 */
export async function currentPlanOf(db: Executor, organizationId: string): Promise<Plan | undefined> {
  const planId = await planIdOf(db, organizationId);
  return planId === undefined ? undefined : planById(planId);
}
