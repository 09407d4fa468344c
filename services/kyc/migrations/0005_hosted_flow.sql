-- The hosted flow (issue 18).
-- A side judged unreadable by the server's analysis (no MRZ where the document type has one, no
-- portrait) may be captured again, a bounded number of times: assets are numbered per side, and
-- one upload per side *and attempt* keeps a replayed upload-complete from adding a second one.
ALTER TABLE document_assets ADD COLUMN IF NOT EXISTS attempt smallint NOT NULL DEFAULT 1 CHECK (attempt >= 1);
ALTER TABLE document_assets ADD COLUMN IF NOT EXISTS unreadable_reasons text[];
ALTER TABLE document_assets DROP CONSTRAINT IF EXISTS document_assets_session_side_key;
DO $$ BEGIN
  ALTER TABLE document_assets ADD CONSTRAINT document_assets_session_side_attempt_key UNIQUE (session_id, side, attempt);
EXCEPTION WHEN duplicate_table OR duplicate_object THEN NULL; END $$;
-- The end user's consent to the privacy notice (before any capture), and the moment they finished.
ALTER TABLE verification_sessions ADD COLUMN IF NOT EXISTS consented_at timestamptz;
ALTER TABLE verification_sessions ADD COLUMN IF NOT EXISTS submitted_at timestamptz;
