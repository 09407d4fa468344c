-- Per-client callback signing secret, generated with the key, shown once and kept sealed
-- (AES-256-GCM under a key derived from the platform secret): a copy of this table is not
-- enough to forge a callback. NULL for keys created before this column existed (see README).
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS callback_secret_sealed text;
