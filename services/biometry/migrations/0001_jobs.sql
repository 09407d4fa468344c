-- Service API keys: only the SHA-256 of a key is stored.
CREATE TABLE IF NOT EXISTS api_keys (
  id text PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  key_hash text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  display_prefix text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

CREATE TABLE IF NOT EXISTS jobs (
  id text PRIMARY KEY,
  client_id text NOT NULL REFERENCES api_keys (id),
  batch_id text,
  citizen_code text NOT NULL,
  document_type text NOT NULL CHECK (document_type IN ('CNI', 'PASSPORT', 'TITRE_DE_SEJOUR', 'NATIONAL_ID')),
  country_code text NOT NULL,
  declared_identity jsonb NOT NULL,
  priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'high')),
  callback_url text,
  -- Object keys of the submitted images; emptied once the job is done.
  image_keys jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'completed', 'error')),
  queued_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  worker_id text,
  attempts integer NOT NULL DEFAULT 0,
  completed_at timestamptz,
  outcome text CHECK (outcome IN ('verified', 'pending_review', 'rejected', 'error')),
  failure_reason text,
  processing_time_ms integer,
  scores jsonb,
  cross_validations jsonb,
  acked_at timestamptz,
  CHECK ((status IN ('completed', 'error')) = (completed_at IS NOT NULL AND outcome IS NOT NULL))
);

CREATE INDEX IF NOT EXISTS jobs_ready_idx ON jobs (client_id, completed_at) WHERE acked_at IS NULL AND completed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_pending_idx ON jobs (status, priority, queued_at) WHERE status IN ('queued', 'processing');
CREATE INDEX IF NOT EXISTS jobs_purge_idx ON jobs (acked_at) WHERE acked_at IS NOT NULL;

-- Live workers announce themselves here; `workers_active` counts recent heartbeats.
CREATE TABLE IF NOT EXISTS workers (
  id text PRIMARY KEY,
  hostname text NOT NULL,
  pid integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
