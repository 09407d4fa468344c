-- An upload's blob is committed to storage before its media row. The intent recorded here (before
-- streaming) and deleted in the media row's transaction lets a restarted service find and remove
-- a blob whose process died in between: no row ever lacks its file, and no file outlives a crash.
CREATE TABLE pending_uploads (
  storage_path text PRIMARY KEY,
  owner_id text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_uploads_started_idx ON pending_uploads (started_at);
