-- Secret keys are found by their display prefix (the first 16 characters, `sk_live_` and 8 of the
-- secret), then told apart by a constant-time comparison of their SHA-256 (kernel ApiKeyAuthenticator).
CREATE INDEX IF NOT EXISTS api_keys_key_prefix_idx ON api_keys (key_prefix);
