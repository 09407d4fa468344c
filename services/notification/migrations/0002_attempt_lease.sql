-- When the current attempt claimed the notification. With AMQP_URL a copy of an attempt's message
-- (a redelivery after a lost connection, a duplicate from the at-least-once outbox) may arrive while
-- the attempt still runs: a `processing` notification is claimed again only once the attempt's
-- budget since `claimed_at` has passed (its worker is presumed dead), never twice at once.
ALTER TABLE notifications ADD COLUMN IF NOT EXISTS claimed_at timestamptz;

-- The broker's copy of a dead-lettered attempt is matched to its dead letter by message id.
CREATE INDEX IF NOT EXISTS dead_letters_message_idx ON dead_letters (message_id);
