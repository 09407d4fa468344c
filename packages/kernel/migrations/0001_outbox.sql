-- Transactional outbox: a service inserts its events in its own transaction, so an event
-- exists iff that transaction commits; the relay publishes them to the message transport.
CREATE TABLE IF NOT EXISTS outbox (
  id bigserial PRIMARY KEY,
  message_id uuid NOT NULL UNIQUE,
  exchange text NOT NULL,
  topic text NOT NULL,
  payload jsonb NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz NOT NULL DEFAULT now()
);

-- The relay only ever scans what is still to be sent, oldest first.
CREATE INDEX IF NOT EXISTS outbox_unpublished_idx ON outbox (next_attempt_at, id) WHERE published_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_published_at_idx ON outbox (published_at) WHERE published_at IS NOT NULL;
