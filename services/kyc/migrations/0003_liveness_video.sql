-- Liveness is decided on the server from the recorded video: `init` hands out a random challenge
-- (stored here, the only copy the analysis trusts), complete links the recording (its sha-256 is
-- recorded and re-checked by the analysis job), and an attempt waits in `analyzing` for the job.
-- `review`: no usable verdict (no video, or the analysis could not run); a person decides.
ALTER TABLE liveness_attempts ADD COLUMN IF NOT EXISTS challenge jsonb;
ALTER TABLE liveness_attempts ADD COLUMN IF NOT EXISTS video_sha256 text;
ALTER TABLE liveness_attempts DROP CONSTRAINT IF EXISTS liveness_attempts_status_check;
ALTER TABLE liveness_attempts ADD CONSTRAINT liveness_attempts_status_check
  CHECK (status IN ('pending', 'validating', 'analyzing', 'passed', 'failed', 'review'));
