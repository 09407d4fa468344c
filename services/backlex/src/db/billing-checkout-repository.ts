import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { BillingCheckoutTable } from './billing-tables.js';
import type { BacklexDatabase } from './tables.js';

export type CheckoutRow = Selectable<BillingCheckoutTable>;

/** `billing_checkout`: checkouts owners started, completed by the provider's payment webhook. */
export function createCheckoutRepository(db: Kysely<BacklexDatabase>) {
  return {
    async insert(row: Insertable<BillingCheckoutTable>): Promise<void> {
      await db.insertInto('billing_checkout').values(row).execute();
    },
    async setSession(id: string, sessionId: string): Promise<void> {
      await db
        .updateTable('billing_checkout')
        .set({ provider_session_id: sessionId })
        .where('id', '=', id)
        .execute();
    },
    lock(trx: Transaction<BacklexDatabase>, id: string): Promise<CheckoutRow | undefined> {
      return trx
        .selectFrom('billing_checkout')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
    },
    async complete(trx: Transaction<BacklexDatabase>, id: string, now: Date): Promise<void> {
      await trx
        .updateTable('billing_checkout')
        .set({ status: 'completed', completed_at: now })
        .where('id', '=', id)
        .execute();
    },
    async cancelOpenOfOrg(trx: Transaction<BacklexDatabase>, orgId: string): Promise<void> {
      await trx
        .updateTable('billing_checkout')
        .set({ status: 'canceled' })
        .where('org_id', '=', orgId)
        .where('status', '=', 'open')
        .execute();
    },
  };
}

export type CheckoutRepository = ReturnType<typeof createCheckoutRepository>;
