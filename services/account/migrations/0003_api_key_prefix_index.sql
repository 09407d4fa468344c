-- API keys are found by their display prefix (`ak_<env>_` and 4 characters of the secret), then told
-- apart by a constant-time comparison of their SHA-256 (kernel ApiKeyAuthenticator).
CREATE INDEX IF NOT EXISTS api_keys_key_prefix ON api_keys (key_prefix);
