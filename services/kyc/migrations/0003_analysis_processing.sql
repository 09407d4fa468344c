-- Document analysis runs as a job after upload-complete: an asset is `pending` until a worker takes
-- it, `processing` while it runs, then `completed` or `failed` (`skipped` for proof of address).
ALTER TABLE document_assets DROP CONSTRAINT IF EXISTS document_assets_analysis_status_check;
ALTER TABLE document_assets ADD CONSTRAINT document_assets_analysis_status_check
  CHECK (analysis_status IN ('pending', 'processing', 'completed', 'failed', 'skipped'));
