-- Outgoing webhooks: one row per delivery (stable id, sent as X-Trustplane-Delivery), one row
-- per attempt. The secret is the tenant's webhook secret, kept so each attempt can be signed.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id uuid PRIMARY KEY,
  owner text,
  url text NOT NULL,
  event text NOT NULL,
  payload jsonb NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  secret text NOT NULL,
  signature_header text NOT NULL DEFAULT 'X-Trustplane-Signature',
  signature_format text NOT NULL DEFAULT 'v1',
  status text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  last_status_code integer,
  last_error text,
  next_attempt_at timestamptz,
  delivered_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending', 'delivered', 'failed')),
  CONSTRAINT webhook_deliveries_signature_format_check CHECK (signature_format IN ('v1', 'hex', 'sha256'))
);

CREATE INDEX IF NOT EXISTS webhook_deliveries_owner_idx ON webhook_deliveries (owner, created_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS webhook_attempts (
  id bigserial PRIMARY KEY,
  delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  status_code integer,
  error text,
  duration_ms integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT webhook_attempts_delivery_attempt_key UNIQUE (delivery_id, attempt)
);
