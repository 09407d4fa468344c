import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { BillingInvoiceTable, BillingLedgerEntryTable } from './billing-tables.js';
import type { BacklexDatabase } from './tables.js';

export type InvoiceRow = Selectable<BillingInvoiceTable>;
type Trx = Transaction<BacklexDatabase>;

export interface NewInvoice {
  id: string;
  orgId: string;
  kind: InvoiceRow['kind'];
  description: string;
  amountCents: number;
  periodStart: Date | null;
  periodEnd: Date | null;
  checkoutId: string | null;
  subscriptionId: string | null;
}

/**
 * `billing_invoice` and `billing_ledger_entry`: the ledger in integer cents. Issuing an invoice
 * books its charge; paying books the payment, giving up books a write-off, so an org's balance
 * (the sum of its entries) is what it owes.
 */
export function createInvoiceRepository(db: Kysely<BacklexDatabase>) {
  async function entry(
    trx: Trx,
    invoice: { id: string; org_id: string },
    type: Selectable<BillingLedgerEntryTable>['entry_type'],
    amountCents: number,
    now: Date,
  ) {
    await trx
      .insertInto('billing_ledger_entry')
      .values({
        org_id: invoice.org_id,
        invoice_id: invoice.id,
        entry_type: type,
        amount_cents: amountCents,
        created_at: now,
      })
      .execute();
  }
  return {
    /** Issues an invoice (open) and books its charge. */
    async issue(trx: Trx, invoice: NewInvoice, now: Date): Promise<InvoiceRow> {
      const { rows } = await sql<{
        n: string;
      }>`SELECT nextval('billing_invoice_number_seq')::text AS n`.execute(trx);
      const number = `BLX-${String(rows[0]?.n).padStart(6, '0')}`;
      const row = await trx
        .insertInto('billing_invoice')
        .values({
          id: invoice.id,
          org_id: invoice.orgId,
          number,
          kind: invoice.kind,
          description: invoice.description,
          amount_cents: invoice.amountCents,
          status: 'open',
          period_start: invoice.periodStart,
          period_end: invoice.periodEnd,
          checkout_id: invoice.checkoutId,
          subscription_id: invoice.subscriptionId,
          created_at: now,
          paid_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await entry(trx, row, 'charge', row.amount_cents, now);
      return row;
    },
    async markPaid(trx: Trx, invoice: InvoiceRow, now: Date): Promise<InvoiceRow> {
      await entry(trx, invoice, 'payment', -invoice.amount_cents, now);
      return trx
        .updateTable('billing_invoice')
        .set({ status: 'paid', paid_at: now })
        .where('id', '=', invoice.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /** Gives up on an unpaid invoice (`uncollectible` after failed renewals, `void` when the org is deleted). */
    async writeOff(
      trx: Trx,
      invoice: InvoiceRow,
      status: 'uncollectible' | 'void',
      now: Date,
    ): Promise<void> {
      await entry(trx, invoice, 'write_off', -invoice.amount_cents, now);
      await trx.updateTable('billing_invoice').set({ status }).where('id', '=', invoice.id).execute();
    },
    lock(trx: Trx, id: string): Promise<InvoiceRow | undefined> {
      return trx
        .selectFrom('billing_invoice')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
    },
    lockOpenRenewal(trx: Trx, subscriptionId: string): Promise<InvoiceRow | undefined> {
      return trx
        .selectFrom('billing_invoice')
        .selectAll()
        .where('subscription_id', '=', subscriptionId)
        .where('kind', '=', 'renewal')
        .where('status', '=', 'open')
        .forUpdate()
        .executeTakeFirst();
    },
    openOfOrg(trx: Trx, orgId: string): Promise<InvoiceRow[]> {
      return trx
        .selectFrom('billing_invoice')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('status', '=', 'open')
        .forUpdate()
        .execute();
    },
    async countAttempt(trx: Trx, id: string): Promise<InvoiceRow> {
      return trx
        .updateTable('billing_invoice')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /** Newest first. */
    listOfOrg(orgId: string, limit: number): Promise<InvoiceRow[]> {
      return db
        .selectFrom('billing_invoice')
        .selectAll()
        .where('org_id', '=', orgId)
        .orderBy('created_at', 'desc')
        .orderBy('number', 'desc')
        .limit(limit)
        .execute();
    },
    async balanceOf(orgId: string): Promise<number> {
      const row = await db
        .selectFrom('billing_ledger_entry')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_cents'), sql<number>`0`).as('balance'))
        .where('org_id', '=', orgId)
        .executeTakeFirstOrThrow();
      return Number(row.balance);
    },
  };
}

export type InvoiceRepository = ReturnType<typeof createInvoiceRepository>;
