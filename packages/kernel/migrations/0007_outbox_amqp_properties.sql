-- AMQP message properties a publisher may ask for: `priority` (for queues declared with
-- x-max-priority) and `expiration_ms` (per-message TTL, for delay queues with a dead-letter
-- exchange). The embedded bus ignores both.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS priority smallint;
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS expiration_ms integer;
