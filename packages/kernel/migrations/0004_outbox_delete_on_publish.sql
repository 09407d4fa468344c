-- Messages whose payload carries a secret (a one-time token in an email request) are deleted
-- as soon as the transport accepts them, instead of staying readable for the retention period.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS delete_on_publish boolean NOT NULL DEFAULT false;
