import type { Kysely, Selectable, Transaction } from 'kysely';
import type { BillingSubscriptionTable } from './billing-tables.js';
import type { BacklexDatabase } from './tables.js';

export type SubscriptionRow = Selectable<BillingSubscriptionTable>;
type Executor = Kysely<BacklexDatabase> | Transaction<BacklexDatabase>;
type Trx = Transaction<BacklexDatabase>;

export interface SubscriptionValues {
  plan: string;
  billing_interval: string;
  status: SubscriptionRow['status'];
  provider: string;
  amount_cents: number;
  current_period_start: Date;
  current_period_end: Date;
  cancel_at_period_end: boolean;
  ends_at: Date | null;
  canceled_at: Date | null;
  failed_renewals: number;
  next_attempt_at: Date | null;
}

/** `billing_subscription`: one row per org. */
export function createSubscriptionRepository(db: Kysely<BacklexDatabase>) {
  return {
    ofOrg(orgId: string, executor: Executor = db): Promise<SubscriptionRow | undefined> {
      return executor
        .selectFrom('billing_subscription')
        .selectAll()
        .where('org_id', '=', orgId)
        .executeTakeFirst();
    },
    lockOfOrg(trx: Trx, orgId: string): Promise<SubscriptionRow | undefined> {
      return trx
        .selectFrom('billing_subscription')
        .selectAll()
        .where('org_id', '=', orgId)
        .forUpdate()
        .executeTakeFirst();
    },
    lockById(trx: Trx, id: string): Promise<SubscriptionRow | undefined> {
      return trx
        .selectFrom('billing_subscription')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
    },
    /** Replaces the org's subscription (a new paid checkout starts a new one). */
    async put(
      trx: Trx,
      id: string,
      orgId: string,
      values: SubscriptionValues,
      now: Date,
    ): Promise<SubscriptionRow> {
      return trx
        .insertInto('billing_subscription')
        .values({ id, org_id: orgId, ...values, created_at: now, updated_at: now })
        .onConflict((oc) =>
          oc.column('org_id').doUpdateSet({ id, ...values, created_at: now, updated_at: now }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    update(trx: Trx, id: string, values: Partial<SubscriptionValues>, now: Date): Promise<SubscriptionRow> {
      return trx
        .updateTable('billing_subscription')
        .set({ ...values, updated_at: now })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /** Ids of subscriptions set to end at their period's end that reached it. */
    async endingBy(now: Date): Promise<string[]> {
      const rows = await db
        .selectFrom('billing_subscription')
        .select('id')
        .where('status', 'in', ['active', 'past_due'])
        .where('cancel_at_period_end', '=', true)
        .where('current_period_end', '<=', now)
        .execute();
      return rows.map((row) => row.id);
    },
    /** Ids of active subscriptions past their period's end with no renewal invoice yet. */
    async renewableBy(now: Date): Promise<string[]> {
      const rows = await db
        .selectFrom('billing_subscription')
        .select('id')
        .where('status', '=', 'active')
        .where('cancel_at_period_end', '=', false)
        .where('current_period_end', '<=', now)
        .where('next_attempt_at', 'is', null)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('billing_invoice')
                .select('billing_invoice.id')
                .whereRef('billing_invoice.subscription_id', '=', 'billing_subscription.id')
                .where('billing_invoice.kind', '=', 'renewal')
                .where('billing_invoice.status', '=', 'open'),
            ),
          ),
        )
        .execute();
      return rows.map((row) => row.id);
    },
    /** Ids of subscriptions whose renewal charge is due (first try or a retry). */
    async chargeableBy(now: Date): Promise<string[]> {
      const rows = await db
        .selectFrom('billing_subscription')
        .select('id')
        .where('status', 'in', ['active', 'past_due'])
        .where('next_attempt_at', '<=', now)
        .execute();
      return rows.map((row) => row.id);
    },
  };
}

export type SubscriptionRepository = ReturnType<typeof createSubscriptionRepository>;
