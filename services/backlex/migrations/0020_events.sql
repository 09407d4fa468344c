-- Events out (issue 16): the closed event catalogue of src/events/catalogue.ts.
-- `org_id` is the organization's id as the identity tables store it (better-auth text ids); no
-- foreign key, so these tables do not depend on the order of the identity migrations, and an
-- event such as `org.deleted` outlives nothing it refers to.

-- The outbox: one row per event, written in the transaction of the mutation that causes it,
-- together with the pg-boss job that fans it out. `fanned_out_at` is set in the fan-out's own
-- transaction, so a retried fan-out never delivers an event twice.
CREATE TABLE events (
  id uuid PRIMARY KEY,
  org_id text NOT NULL,
  type text NOT NULL,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  fanned_out_at timestamptz
);
CREATE INDEX events_org_idx ON events (org_id, created_at DESC);

-- Webhooks: the signing secret is sealed (AES-256-GCM, kernel sealSecret) because every attempt
-- signs with it; it is shown once, at creation. At most one managed webhook per org (`Org.webhookUrl`).
CREATE TABLE webhooks (
  id uuid PRIMARY KEY,
  org_id text NOT NULL,
  url text NOT NULL,
  events text[] NOT NULL,
  managed boolean NOT NULL DEFAULT false,
  secret_sealed text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT webhooks_events_not_empty CHECK (cardinality(events) > 0)
);
CREATE INDEX webhooks_org_idx ON webhooks (org_id, created_at, id);
CREATE UNIQUE INDEX webhooks_one_managed_per_org ON webhooks (org_id) WHERE managed;

-- Integrations: `config` holds the kind's non-secret settings, `secrets_sealed` the sealed JSON of
-- its secret ones (Slack/Discord webhook URL, Datadog API key, GitHub token). `events` null = all.
CREATE TABLE integrations (
  id uuid PRIMARY KEY,
  org_id text NOT NULL,
  kind text NOT NULL,
  config jsonb NOT NULL,
  secrets_sealed text NOT NULL,
  secret_hints jsonb NOT NULL,
  events text[],
  last_delivery_at timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT integrations_kind_check CHECK (kind IN ('slack', 'discord', 'datadog', 'github'))
);
CREATE INDEX integrations_org_idx ON integrations (org_id, created_at, id);

-- Notifications for people: one row per recipient, so read state is per member.
CREATE TABLE notifications (
  id uuid PRIMARY KEY,
  org_id text NOT NULL,
  user_id text NOT NULL,
  event_id uuid NOT NULL REFERENCES events (id),
  type text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  data jsonb NOT NULL,
  read_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT notifications_event_recipient_key UNIQUE (event_id, user_id)
);
CREATE INDEX notifications_recipient_idx ON notifications (org_id, user_id, created_at DESC, id DESC);
