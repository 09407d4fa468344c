-- Insurer tenants. Money is kept in integer paise so sums are exact.
CREATE TABLE IF NOT EXISTS tenants (
  id text PRIMARY KEY,
  code text NOT NULL UNIQUE CHECK (code ~ '^[A-Z][A-Z0-9_]{1,31}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  tier text NOT NULL CHECK (tier ~ '^[a-z][a-z0-9]{0,19}$'),
  billing_mode text NOT NULL DEFAULT 'per_claim' CHECK (billing_mode IN ('per_claim', 'per_year')),
  price_per_claim_paise bigint NOT NULL DEFAULT 0 CHECK (price_per_claim_paise >= 0),
  cap_mode text NOT NULL DEFAULT 'hard' CHECK (cap_mode IN ('hard', 'soft', 'alert')),
  cap_limit integer CHECK (cap_limit IS NULL OR cap_limit >= 0),
  billing_status text NOT NULL DEFAULT 'current' CHECK (billing_status IN ('current', 'due', 'grace', 'suspended')),
  billing_grace_days integer NOT NULL DEFAULT 15 CHECK (billing_grace_days >= 0),
  annual_start timestamptz,
  annual_end timestamptz,
  -- Last `updated_at` given to one of the tenant's claims: the next one is strictly later (see claim-repository).
  claims_clock timestamptz NOT NULL DEFAULT 'epoch',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((annual_start IS NULL) = (annual_end IS NULL) AND (annual_start IS NULL OR annual_start < annual_end))
);

-- API keys: only the SHA-256 of a key is stored.
CREATE TABLE IF NOT EXISTS api_keys (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  name text,
  key_hash text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  display_prefix text NOT NULL,
  scopes text[] NOT NULL,
  daily_limit integer NOT NULL DEFAULT 5000 CHECK (daily_limit >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS api_keys_tenant ON api_keys (tenant_id);

-- One row per rate-counted request (the seed's ApiRequestLog): the sliding 24-hour window counts these.
CREATE TABLE IF NOT EXISTS api_requests (
  id bigserial PRIMARY KEY,
  key_id text NOT NULL REFERENCES api_keys (id),
  tenant_id text NOT NULL REFERENCES tenants (id),
  operation text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS api_requests_window ON api_requests (key_id, created_at);

CREATE TABLE IF NOT EXISTS users (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  email text NOT NULL,
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('surveyor', 'adjuster', 'siu', 'tenant_admin')),
  district text,
  surveyor_license text,
  active boolean NOT NULL DEFAULT true,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (role = 'surveyor' OR surveyor_license IS NULL)
);
CREATE UNIQUE INDEX IF NOT EXISTS users_tenant_email ON users (tenant_id, lower(email));

CREATE TABLE IF NOT EXISTS claims (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  claim_number text NOT NULL,
  policy_number text NOT NULL,
  claim_type text NOT NULL CHECK (claim_type IN ('motor', 'property', 'crop', 'health', 'other')),
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'under_review', 'approved', 'rejected', 'siu_flagged')),
  district text NOT NULL,
  description text,
  surveyor_id text NOT NULL REFERENCES users (id),
  adjuster_id text REFERENCES users (id),
  estimated_amount numeric(16, 2),
  settled_amount numeric(16, 2),
  siu_flagged boolean NOT NULL DEFAULT false,
  siu_reason text,
  risk_score double precision,
  risk_band text CHECK (risk_band IN ('low', 'review', 'high', 'very_high')),
  note_count integer NOT NULL DEFAULT 0,
  submitted_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL,
  CONSTRAINT claims_tenant_number UNIQUE (tenant_id, claim_number)
);
CREATE INDEX IF NOT EXISTS claims_tenant_updated ON claims (tenant_id, updated_at, id);
CREATE INDEX IF NOT EXISTS claims_surveyor ON claims (surveyor_id, status);

CREATE TABLE IF NOT EXISTS photos (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  claim_id text NOT NULL REFERENCES claims (id),
  filename text NOT NULL,
  content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/heic', 'image/png')),
  size_bytes bigint NOT NULL,
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  storage_key text NOT NULL,
  phash text,
  verify_status text NOT NULL DEFAULT 'unverified'
    CHECK (verify_status IN ('pending', 'verified', 'tampered', 'unverified', 'ai_generated', 'third_party')),
  captured_at timestamptz,
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  gps_lat double precision,
  gps_lon double precision,
  gps_accuracy double precision,
  device_model text,
  attestation_type text CHECK (attestation_type IN ('StrongBox', 'TEE', 'SecureEnclave', 'software', 'none')),
  ntp_synced boolean,
  alerts text[] NOT NULL DEFAULT '{}',
  verified_at timestamptz,
  CONSTRAINT photos_claim_sha256 UNIQUE (claim_id, sha256)
);
CREATE INDEX IF NOT EXISTS photos_tenant_sha256 ON photos (tenant_id, sha256);

-- Metered events. unit_price_paise is fixed when the event happens; billed_at is set by `billing close`.
CREATE TABLE IF NOT EXISTS usage_events (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  event text NOT NULL CHECK (event IN ('api_verify', 'claim_set_billed', 'claim_triage', 'photo_downloaded')),
  claim_id text REFERENCES claims (id),
  claim_number text,
  unit_price_paise bigint NOT NULL CHECK (unit_price_paise >= 0),
  quantity integer NOT NULL DEFAULT 1 CHECK (quantity > 0),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  billing_run_id text,
  billed_at timestamptz
);
CREATE INDEX IF NOT EXISTS usage_events_tenant_time ON usage_events (tenant_id, created_at);
-- A claim is billed once, ever.
CREATE UNIQUE INDEX IF NOT EXISTS usage_events_claim_billed ON usage_events (claim_id) WHERE event = 'claim_set_billed';

-- One row per tenant of each `billing close` run.
CREATE TABLE IF NOT EXISTS billing_runs (
  id text NOT NULL,
  tenant_id text NOT NULL REFERENCES tenants (id),
  through timestamptz NOT NULL,
  events integer NOT NULL,
  amount_paise bigint NOT NULL,
  closed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, tenant_id)
);

-- One `verifact.cap.reached` per tenant and UTC month.
CREATE TABLE IF NOT EXISTS cap_notices (
  tenant_id text NOT NULL REFERENCES tenants (id),
  cycle text NOT NULL CHECK (cycle ~ '^[0-9]{4}-[0-9]{2}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, cycle)
);

CREATE TABLE IF NOT EXISTS triage_results (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  claim_id text REFERENCES claims (id),
  sha256 text NOT NULL,
  phash text,
  risk_score double precision NOT NULL,
  risk_band text NOT NULL,
  routed_to text NOT NULL,
  signals jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS triage_results_claim ON triage_results (claim_id);
CREATE INDEX IF NOT EXISTS triage_results_tenant ON triage_results (tenant_id);

-- The Ed25519 root that signs key manifests (one row) and the RSA vault keys; private keys sealed.
CREATE TABLE IF NOT EXISTS attestation_root (
  id integer PRIMARY KEY CHECK (id = 1),
  public_key_pem text NOT NULL,
  private_key_sealed text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS attestation_keys (
  kid text PRIMARY KEY,
  public_key_pem text NOT NULL,
  private_key_sealed text NOT NULL,
  manifest jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
