-- The welcome mail of each user made through the API: its one-time password sealed (AES-256-GCM,
-- key derived from the platform secret) until the mail is sent, then erased. The pg-boss job
-- that retries a failed send is enqueued in the same transaction as the user.
CREATE TABLE IF NOT EXISTS welcome_mails (
  user_id text PRIMARY KEY REFERENCES users (id),
  sealed_password text,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  sent_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((sent_at IS NULL) = (sealed_password IS NOT NULL))
);
