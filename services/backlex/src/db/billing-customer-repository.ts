import type { Kysely, Selectable, Transaction } from 'kysely';
import type { BillingCustomerTable } from './billing-tables.js';
import type { BacklexDatabase } from './tables.js';

export type CustomerRow = Selectable<BillingCustomerTable>;

/** `billing_customer`: the org's customer at the provider and its saved card (brand + last 4). */
export function createCustomerRepository(db: Kysely<BacklexDatabase>) {
  return {
    ofOrg(orgId: string, provider: string): Promise<CustomerRow | undefined> {
      return db
        .selectFrom('billing_customer')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('provider', '=', provider)
        .executeTakeFirst();
    },
    byProviderCustomer(provider: string, customerId: string): Promise<CustomerRow | undefined> {
      return db
        .selectFrom('billing_customer')
        .selectAll()
        .where('provider', '=', provider)
        .where('provider_customer_id', '=', customerId)
        .executeTakeFirst();
    },
    async put(
      trx: Transaction<BacklexDatabase>,
      row: Omit<CustomerRow, 'updated_at'>,
      now: Date,
    ): Promise<void> {
      const { org_id, ...rest } = row;
      await trx
        .insertInto('billing_customer')
        .values({ ...row, updated_at: now })
        .onConflict((oc) => oc.column('org_id').doUpdateSet({ ...rest, updated_at: now }))
        .execute();
    },
  };
}

export type CustomerRepository = ReturnType<typeof createCustomerRepository>;
