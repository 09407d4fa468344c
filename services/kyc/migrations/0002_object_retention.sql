-- Objects (documents, heatmaps, liveness recordings) of a session are deleted by the sweep job once
-- the session has been expired for KYC_OBJECT_RETENTION_SECONDS; the rows and the audit log stay.
ALTER TABLE verification_sessions ADD COLUMN IF NOT EXISTS objects_purged_at timestamptz;

CREATE INDEX IF NOT EXISTS verification_sessions_unpurged_expiry_idx
  ON verification_sessions (expires_at)
  WHERE objects_purged_at IS NULL;
