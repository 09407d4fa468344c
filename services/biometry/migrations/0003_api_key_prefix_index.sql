-- Service keys are found by their display prefix (`bio_` and 4 characters of the secret), then told
-- apart by a constant-time comparison of their SHA-256 (kernel ApiKeyAuthenticator).
CREATE INDEX IF NOT EXISTS api_keys_display_prefix_idx ON api_keys (display_prefix);
