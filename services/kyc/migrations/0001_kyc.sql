-- KYC verification: operators, tenant organizations, API keys, verification sessions,
-- document assets + analysis, liveness attempts and the append-only, hash-chained audit log.

CREATE TABLE IF NOT EXISTS users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  email_normalized text NOT NULL,
  full_name text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 120),
  password_hash text NOT NULL,
  accepted_terms_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_email_normalized_key UNIQUE (email_normalized)
);

-- Server-side operator sessions behind the signed `kyc_session` cookie (only the token hash is kept).
CREATE TABLE IF NOT EXISTS operator_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  remember_device boolean NOT NULL DEFAULT false,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS operator_sessions_user_idx ON operator_sessions (user_id);

CREATE TABLE IF NOT EXISTS organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id text NOT NULL CHECK (length(customer_id) BETWEEN 1 AND 255),
  legal_company_name text,
  legal_email text NOT NULL,
  registration_number text,
  company_website text,
  company_address text,
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  alias_name text,
  logo_url text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT organizations_customer_id_key UNIQUE (customer_id)
);

CREATE TABLE IF NOT EXISTS memberships (
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX IF NOT EXISTS memberships_user_idx ON memberships (user_id);

CREATE TABLE IF NOT EXISTS api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  pair_id uuid NOT NULL,
  key_type text NOT NULL CHECK (key_type IN ('publishable', 'secret')),
  environment text NOT NULL CHECK (environment IN ('test', 'live')),
  key_prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  label text,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS api_keys_organization_idx ON api_keys (organization_id, created_at);

CREATE TABLE IF NOT EXISTS verification_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  api_key_id uuid REFERENCES api_keys (id) ON DELETE SET NULL,
  environment text NOT NULL CHECK (environment IN ('test', 'live')),
  token_hash text NOT NULL UNIQUE,
  external_user_id text,
  return_url text,
  webhook_url text,
  -- Sealed (AES-256-GCM): the plaintext is needed to sign each delivery.
  webhook_secret_sealed text,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  document_type text CHECK (document_type IN ('passport', 'id_card', 'drive_eta')),
  capture_phase text NOT NULL DEFAULT 'document_type'
    CHECK (capture_phase IN ('document_type', 'front', 'back', 'single', 'poa', 'complete')),
  review_status text NOT NULL DEFAULT 'pending'
    CHECK (review_status IN ('pending', 'approved', 'rejected', 'more_info_requested')),
  risk_label text CHECK (risk_label IN ('low', 'medium', 'high')),
  automated_block_reason text,
  face_similarity_score double precision,
  portrait_descriptor real[],
  reviewed_by uuid REFERENCES users (id) ON DELETE SET NULL,
  reviewed_at timestamptz,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (webhook_secret_sealed IS NULL OR webhook_url IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS verification_sessions_org_idx ON verification_sessions (organization_id, created_at DESC);

CREATE TABLE IF NOT EXISTS document_assets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES verification_sessions (id) ON DELETE CASCADE,
  side text NOT NULL CHECK (side IN ('front', 'back', 'single', 'poa')),
  s3_key text NOT NULL UNIQUE,
  content_type text NOT NULL,
  byte_size bigint NOT NULL CHECK (byte_size > 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  analysis_status text NOT NULL DEFAULT 'pending'
    CHECK (analysis_status IN ('pending', 'completed', 'failed', 'skipped')),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- One upload per side: a replayed upload-complete cannot add a second front.
  CONSTRAINT document_assets_session_side_key UNIQUE (session_id, side)
);

CREATE TABLE IF NOT EXISTS analysis_results (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  asset_id uuid NOT NULL UNIQUE REFERENCES document_assets (id) ON DELETE CASCADE,
  session_id uuid NOT NULL REFERENCES verification_sessions (id) ON DELETE CASCADE,
  extracted jsonb NOT NULL,
  model_id text,
  model_versions jsonb NOT NULL DEFAULT '{}'::jsonb,
  raw_scores jsonb NOT NULL DEFAULT '{}'::jsonb,
  ela_heatmap_key text,
  moire_heatmap_key text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS analysis_results_session_idx ON analysis_results (session_id);

CREATE TABLE IF NOT EXISTS liveness_attempts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES verification_sessions (id) ON DELETE CASCADE,
  client_request_id uuid NOT NULL UNIQUE,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'validating', 'passed', 'failed')),
  confidence_score double precision,
  failure_reason text,
  risk_label text CHECK (risk_label IN ('low', 'medium', 'high')),
  video_s3_key text,
  signals_json jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS liveness_attempts_session_idx ON liveness_attempts (session_id, created_at DESC);

CREATE TABLE IF NOT EXISTS audit_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigserial NOT NULL UNIQUE,
  session_id uuid REFERENCES verification_sessions (id) ON DELETE RESTRICT,
  organization_id uuid,
  event_type text NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('system', 'end_user', 'operator', 'api_key')),
  actor_user_id uuid,
  payload jsonb,
  rationale text,
  model_versions jsonb,
  raw_scores jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_session_idx ON audit_events (session_id, seq);

-- The canonical text an audit row's hash covers (every column but seq and hash).
CREATE OR REPLACE FUNCTION audit_event_digest(prev text, e audit_events) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws('|',
    prev, e.id::text, coalesce(e.session_id::text, ''), coalesce(e.organization_id::text, ''),
    e.event_type, e.actor_type, coalesce(e.actor_user_id::text, ''), coalesce(e.payload::text, ''),
    coalesce(e.rationale, ''), coalesce(e.model_versions::text, ''), coalesce(e.raw_scores::text, ''),
    to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
  ), 'UTF8')), 'hex')
$$;

-- Chains each new row to the previous one; inserts are serialized so the chain has no forks.
CREATE OR REPLACE FUNCTION audit_events_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  previous text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(TG_TABLE_SCHEMA || '.audit_events'));
  SELECT hash INTO previous FROM audit_events ORDER BY seq DESC LIMIT 1;
  NEW.seq := nextval(pg_get_serial_sequence(TG_TABLE_SCHEMA || '.audit_events', 'seq'));
  NEW.prev_hash := coalesce(previous, repeat('0', 64));
  NEW.hash := audit_event_digest(NEW.prev_hash, NEW);
  RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER IF EXISTS audit_events_chain ON audit_events;
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_chain();
DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events;
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
