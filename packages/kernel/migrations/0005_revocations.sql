-- Credentials an issuer has revoked before their natural end, read by every service that trusts
-- that issuer's tokens (kernel auth/revocation-list.ts). `kind` is 'token' (a token id, `jti`) or
-- 'session' (a session id, `sid`: every token naming it). A row matters only until `until`, the
-- latest expiry of a token it can match; expired rows are deleted by the readers' reloads.
CREATE TABLE IF NOT EXISTS revocations (
  kind text NOT NULL,
  id text NOT NULL,
  until timestamptz NOT NULL,
  reason text,
  revoked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, id),
  CONSTRAINT revocations_kind_valid CHECK (kind IN ('token', 'session')),
  CONSTRAINT revocations_id_length CHECK (char_length(id) BETWEEN 1 AND 200)
);

CREATE INDEX IF NOT EXISTS revocations_until_idx ON revocations (until);
