import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Cents = ColumnType<number, number, number>;

/** migrations/0080_billing.sql */
export interface BillingSubscriptionTable {
  id: string;
  org_id: string;
  plan: string;
  billing_interval: string;
  status: 'active' | 'past_due' | 'canceled';
  provider: string;
  amount_cents: Cents;
  current_period_start: Timestamp;
  current_period_end: Timestamp;
  cancel_at_period_end: boolean;
  ends_at: Timestamp | null;
  canceled_at: Timestamp | null;
  failed_renewals: number;
  next_attempt_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BillingCustomerTable {
  org_id: string;
  provider: string;
  provider_customer_id: string;
  provider_payment_method_id: string | null;
  card_brand: string | null;
  card_last4: string | null;
  updated_at: Timestamp;
}

export interface BillingCheckoutTable {
  id: string;
  org_id: string;
  kind: 'plan' | 'pack';
  plan: string | null;
  billing_interval: string | null;
  pack_type: string | null;
  amount_cents: Cents;
  provider: string;
  provider_session_id: string | null;
  status: 'open' | 'completed' | 'canceled';
  created_by: string;
  created_at: Timestamp;
  completed_at: Timestamp | null;
}

export interface BillingInvoiceTable {
  id: string;
  org_id: string;
  number: string;
  kind: 'subscription' | 'renewal' | 'pack';
  description: string;
  amount_cents: Cents;
  currency: ColumnType<string, string | undefined, string>;
  status: 'open' | 'paid' | 'uncollectible' | 'void';
  period_start: Timestamp | null;
  period_end: Timestamp | null;
  attempts: ColumnType<number, number | undefined, number>;
  checkout_id: string | null;
  subscription_id: string | null;
  created_at: Timestamp;
  paid_at: Timestamp | null;
}

export interface BillingLedgerEntryTable {
  id: Generated<string>;
  org_id: string;
  invoice_id: string;
  entry_type: 'charge' | 'payment' | 'write_off';
  amount_cents: Cents;
  created_at: Timestamp;
}

export interface BillingPackTable {
  id: string;
  org_id: string;
  pack_type: string;
  quantity: number;
  units_per_pack: Cents;
  invoice_id: string;
  period_start: Timestamp;
  period_end: Timestamp;
  created_at: Timestamp;
}

export interface BillingWebhookEventTable {
  provider: string;
  event_id: string;
  event_type: string;
  received_at: ColumnType<Date, Date | undefined, never>;
}

export interface BillingSandboxSessionTable {
  id: string;
  customer_id: string;
  amount_cents: Cents;
  description: string;
  metadata: ColumnType<Record<string, string>, string, string>;
  success_url: string;
  cancel_url: string;
  status: 'open' | 'complete' | 'expired';
  expires_at: Timestamp;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface BillingSandboxCustomerTable {
  id: string;
  card_brand: string | null;
  card_last4: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface BillingDatabase {
  billing_subscription: BillingSubscriptionTable;
  billing_customer: BillingCustomerTable;
  billing_checkout: BillingCheckoutTable;
  billing_invoice: BillingInvoiceTable;
  billing_ledger_entry: BillingLedgerEntryTable;
  billing_pack: BillingPackTable;
  billing_webhook_event: BillingWebhookEventTable;
  billing_sandbox_session: BillingSandboxSessionTable;
  billing_sandbox_customer: BillingSandboxCustomerTable;
}
