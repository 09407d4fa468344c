-- Revocations moved to the kernel's platform.revocations, which every service trusting account
-- tokens reads. What is still live here is carried over; sessions revoked within the longest
-- default token lifetime (1 h service tokens, + 1 min skew) are put on the list too.
INSERT INTO platform.revocations (kind, id, until, reason, revoked_at)
  SELECT 'token', jti, expires_at, reason, revoked_at FROM revoked_tokens WHERE expires_at > now()
  ON CONFLICT (kind, id) DO NOTHING;
INSERT INTO platform.revocations (kind, id, until, reason, revoked_at)
  SELECT 'session', id::text, revoked_at + interval '61 minutes', revoked_reason, revoked_at
    FROM sessions
   WHERE revoked_at > now() - interval '61 minutes'
  ON CONFLICT (kind, id) DO NOTHING;
DROP TABLE revoked_tokens;
