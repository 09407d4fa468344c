-- Billing (issue 17). Money is integer cents (bigint), USD. `org_id` is the organization's id as the
-- identity tables store it; no foreign key, so billing rows (invoices, the ledger) outlive a deleted org.

-- The org's subscription: one row per org, replaced by the next paid checkout. Changed only by the
-- provider's signed webhooks, the renewal job, cancel/resume and org deletion.
CREATE TABLE billing_subscription (
  id uuid PRIMARY KEY,
  org_id text NOT NULL UNIQUE,
  plan text NOT NULL CHECK (plan IN ('pro', 'scale', 'max')),
  billing_interval text NOT NULL CHECK (billing_interval IN ('monthly', 'annual')),
  status text NOT NULL CHECK (status IN ('active', 'past_due', 'canceled')),
  provider text NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  current_period_start timestamptz NOT NULL,
  current_period_end timestamptz NOT NULL,
  cancel_at_period_end boolean NOT NULL DEFAULT false,
  ends_at timestamptz,
  canceled_at timestamptz,
  -- Failed charges of the current renewal invoice; the fourth (three retries) ends the subscription.
  failed_renewals integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX billing_subscription_due_idx ON billing_subscription (status, current_period_end);

-- The org's customer at the provider and its saved card (brand + last four digits only).
CREATE TABLE billing_customer (
  org_id text PRIMARY KEY,
  provider text NOT NULL,
  provider_customer_id text NOT NULL,
  provider_payment_method_id text,
  card_brand text,
  card_last4 text,
  updated_at timestamptz NOT NULL
);

-- A checkout started by an owner: what the provider's payment webhook completes.
CREATE TABLE billing_checkout (
  id uuid PRIMARY KEY,
  org_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('plan', 'pack')),
  plan text,
  billing_interval text,
  pack_type text,
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  provider text NOT NULL,
  provider_session_id text,
  status text NOT NULL CHECK (status IN ('open', 'completed', 'canceled')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  completed_at timestamptz
);
CREATE INDEX billing_checkout_org_idx ON billing_checkout (org_id, created_at DESC);

-- Invoices the ledger issues (a checkout's payment, a renewal, a pack).
CREATE TABLE billing_invoice (
  id uuid PRIMARY KEY,
  org_id text NOT NULL,
  number text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('subscription', 'renewal', 'pack')),
  description text NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  currency text NOT NULL DEFAULT 'usd',
  status text NOT NULL CHECK (status IN ('open', 'paid', 'uncollectible', 'void')),
  period_start timestamptz,
  period_end timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  checkout_id uuid,
  subscription_id uuid,
  created_at timestamptz NOT NULL,
  paid_at timestamptz
);
CREATE INDEX billing_invoice_org_idx ON billing_invoice (org_id, created_at DESC);
-- At most one open renewal invoice per subscription.
CREATE UNIQUE INDEX billing_invoice_open_renewal_idx ON billing_invoice (subscription_id)
  WHERE kind = 'renewal' AND status = 'open';
CREATE SEQUENCE billing_invoice_number_seq;

-- The ledger: every charge (positive) and payment or write-off (negative), in cents. An org's
-- balance is the sum of its entries; invoices are its documents.
CREATE TABLE billing_ledger_entry (
  id bigserial PRIMARY KEY,
  org_id text NOT NULL,
  invoice_id uuid NOT NULL,
  entry_type text NOT NULL CHECK (entry_type IN ('charge', 'payment', 'write_off')),
  amount_cents bigint NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX billing_ledger_org_idx ON billing_ledger_entry (org_id, id);

-- Purchased packs: each adds quantity × units_per_pack units of `pack_type` in [period_start, period_end).
CREATE TABLE billing_pack (
  id uuid PRIMARY KEY,
  org_id text NOT NULL,
  pack_type text NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  units_per_pack bigint NOT NULL CHECK (units_per_pack > 0),
  invoice_id uuid NOT NULL,
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX billing_pack_org_idx ON billing_pack (org_id, period_end);

-- Provider webhook events processed, recorded in the transaction of their effect: each once.
CREATE TABLE billing_webhook_event (
  provider text NOT NULL,
  event_id text NOT NULL,
  event_type text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);

-- The sandbox provider's own state (it plays an external payment service): its hosted sessions
-- and its customers' saved cards, kept as brand + last four digits only.
CREATE TABLE billing_sandbox_session (
  id text PRIMARY KEY,
  customer_id text NOT NULL,
  amount_cents bigint NOT NULL,
  description text NOT NULL,
  metadata jsonb NOT NULL,
  success_url text NOT NULL,
  cancel_url text NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'complete', 'expired')),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE billing_sandbox_customer (
  id text PRIMARY KEY,
  card_brand text,
  card_last4 text,
  created_at timestamptz NOT NULL DEFAULT now()
);
