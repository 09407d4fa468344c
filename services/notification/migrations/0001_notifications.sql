-- Notifications and their recipients. Status: queued → processing → delivered | retrying | failed,
-- and cancelled; pending (GetStats) = queued + retrying.
CREATE TABLE IF NOT EXISTS notifications (
  id text PRIMARY KEY,
  batch_id text,
  -- grpc | bus (notification.requests) | account (email.requested)
  source text NOT NULL,
  source_message_id text,
  provider_type text NOT NULL,
  provider_name text NOT NULL,
  priority text NOT NULL DEFAULT 'normal',
  status text NOT NULL DEFAULT 'queued',
  -- {subject, body, is_html, html_body}; for sensitive notifications a redacted copy, the real one sealed.
  content jsonb NOT NULL,
  sealed_content text,
  sensitive boolean NOT NULL DEFAULT false,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  max_retries integer NOT NULL DEFAULT 3,
  attempts integer NOT NULL DEFAULT 0,
  -- attempts already made when the current retry budget started (RetryNotification resets it).
  budget_start integer NOT NULL DEFAULT 0,
  -- the delivery job that may work the notification next; any other job is stale.
  job_id uuid,
  scheduled_at timestamptz,
  next_attempt_at timestamptz,
  last_error text,
  cancel_requested_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  failed_at timestamptz,
  cancelled_at timestamptz,
  CONSTRAINT notifications_status_check
    CHECK (status IN ('queued', 'processing', 'retrying', 'delivered', 'failed', 'cancelled')),
  CONSTRAINT notifications_priority_check CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  CONSTRAINT notifications_provider_type_check
    CHECK (provider_type IN ('email', 'telegram', 'whatsapp', 'http', 'grpc', 'rabbitmq')),
  CONSTRAINT notifications_max_retries_check CHECK (max_retries BETWEEN 0 AND 10)
);

CREATE INDEX IF NOT EXISTS notifications_created_idx ON notifications (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS notifications_status_idx ON notifications (status, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS notifications_provider_idx ON notifications (provider_type, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS notifications_batch_idx ON notifications (batch_id) WHERE batch_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS notification_recipients (
  notification_id text NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
  position integer NOT NULL,
  type text NOT NULL,
  address text NOT NULL,
  name text NOT NULL DEFAULT '',
  -- pending | accepted (the provider took it) | failed (permanently, this budget)
  status text NOT NULL DEFAULT 'pending',
  accepted_at timestamptz,
  provider_message_id text,
  last_error text,
  PRIMARY KEY (notification_id, position),
  CONSTRAINT notification_recipients_status_check CHECK (status IN ('pending', 'accepted', 'failed'))
);

-- `idempotency-key` metadata of the create RPCs: the same request answers the same reply for 7 days.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key text PRIMARY KEY,
  method text NOT NULL,
  request_hash text NOT NULL,
  response jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Dedup of bus messages by their id, kept across restarts: a copy of a message already taken is dropped.
CREATE TABLE IF NOT EXISTS processed_messages (
  message_id text PRIMARY KEY,
  queue text NOT NULL,
  notification_id text,
  outcome text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS processed_messages_received_idx ON processed_messages (received_at);

-- notification.events.dlq: what failed for good, with why, how often and what it was.
CREATE TABLE IF NOT EXISTS dead_letters (
  id text PRIMARY KEY,
  notification_id text REFERENCES notifications (id) ON DELETE CASCADE,
  message_id text,
  source_queue text NOT NULL,
  reason text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  replayed_at timestamptz
);
CREATE INDEX IF NOT EXISTS dead_letters_pending_idx ON dead_letters (created_at) WHERE replayed_at IS NULL;
CREATE INDEX IF NOT EXISTS dead_letters_notification_idx ON dead_letters (notification_id);

-- Every message through a queue of the service: what GetMessageDetails shows and the rates and
-- timings of GetQueueStats are computed from. Payloads are stored with secrets redacted.
CREATE TABLE IF NOT EXISTS message_ledger (
  queue text NOT NULL,
  message_id text NOT NULL,
  payload jsonb NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL DEFAULT 'ready',
  published_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  completed_at timestamptz,
  delivery_count integer NOT NULL DEFAULT 0,
  PRIMARY KEY (queue, message_id)
);
CREATE INDEX IF NOT EXISTS message_ledger_published_idx ON message_ledger (queue, published_at);
CREATE INDEX IF NOT EXISTS message_ledger_completed_idx ON message_ledger (queue, completed_at)
  WHERE completed_at IS NOT NULL;

-- Consumers (one per worker loop and queue), kept alive by heartbeats.
CREATE TABLE IF NOT EXISTS consumers (
  consumer_tag text PRIMARY KEY,
  queue text NOT NULL,
  host text NOT NULL,
  prefetch integer NOT NULL,
  ack_count bigint NOT NULL DEFAULT 0,
  unack_count integer NOT NULL DEFAULT 0,
  connected_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS consumers_queue_idx ON consumers (queue, last_seen_at);

-- The queues the service declared (first declaration wins): GetQueueInfo's metadata in both modes.
CREATE TABLE IF NOT EXISTS queue_declarations (
  name text PRIMARY KEY,
  backend text NOT NULL,
  durable boolean NOT NULL DEFAULT true,
  auto_delete boolean NOT NULL DEFAULT false,
  arguments jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
