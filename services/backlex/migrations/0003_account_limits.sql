-- `PATCH /account`: preferences stay within 16 KB as stored (the merge happens in one statement,
-- so the limit is checked on the merged value).
ALTER TABLE account_profile
  ADD CONSTRAINT account_profile_preferences_size CHECK (octet_length(preferences::text) <= 16384),
  ADD CONSTRAINT account_profile_preferences_object CHECK (jsonb_typeof(preferences) = 'object');
