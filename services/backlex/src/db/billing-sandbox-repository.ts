import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { BillingSandboxCustomerTable, BillingSandboxSessionTable } from './billing-tables.js';
import type { BacklexDatabase } from './tables.js';

export type SandboxSessionRow = Selectable<BillingSandboxSessionTable>;
export type SandboxCustomerRow = Selectable<BillingSandboxCustomerTable>;

/** The sandbox provider's own tables (`billing_sandbox_session`, `billing_sandbox_customer`). */
export function createSandboxRepository(db: Kysely<BacklexDatabase>) {
  return {
    async insertCustomer(id: string): Promise<void> {
      await db
        .insertInto('billing_sandbox_customer')
        .values({ id, card_brand: null, card_last4: null })
        .execute();
    },
    customer(id: string): Promise<SandboxCustomerRow | undefined> {
      return db.selectFrom('billing_sandbox_customer').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async setCard(
      trx: Transaction<BacklexDatabase>,
      id: string,
      card: { brand: string; last4: string },
    ): Promise<void> {
      await trx
        .updateTable('billing_sandbox_customer')
        .set({ card_brand: card.brand, card_last4: card.last4 })
        .where('id', '=', id)
        .execute();
    },
    async insertSession(row: Insertable<BillingSandboxSessionTable>): Promise<void> {
      await db.insertInto('billing_sandbox_session').values(row).execute();
    },
    session(id: string): Promise<SandboxSessionRow | undefined> {
      return db.selectFrom('billing_sandbox_session').selectAll().where('id', '=', id).executeTakeFirst();
    },
    lockSession(trx: Transaction<BacklexDatabase>, id: string): Promise<SandboxSessionRow | undefined> {
      return trx
        .selectFrom('billing_sandbox_session')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
    },
    async completeSession(trx: Transaction<BacklexDatabase>, id: string): Promise<void> {
      await trx
        .updateTable('billing_sandbox_session')
        .set({ status: 'complete' })
        .where('id', '=', id)
        .execute();
    },
  };
}

export type SandboxRepository = ReturnType<typeof createSandboxRepository>;
