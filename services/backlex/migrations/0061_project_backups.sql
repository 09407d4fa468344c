-- Backups (issue 17): a checkpointed copy of a project's SQLite file, taken by the
-- `backlex.run-backup` job under the file's write lock and stored as one kernel object
-- (`backups/<projectId>/<backupId>.sqlite`) with its size and sha-256. `status`: pending →
-- completed | failed. `kind`: `manual` (kept until the project is purged) or `auto` (the daily
-- job's; deleted past the plan's PITR window). `restored_at`: the last time it was swapped in.
CREATE TABLE project_backups (
  id text PRIMARY KEY,
  project_id text NOT NULL REFERENCES projects (id),
  kind text NOT NULL CHECK (kind IN ('manual', 'auto')),
  status text NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
  object_key text NOT NULL,
  size_bytes bigint,
  sha256 text,
  error text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  restored_at timestamptz,
  CONSTRAINT project_backups_completed_has_hash
    CHECK ((status = 'completed') = (sha256 IS NOT NULL AND size_bytes IS NOT NULL AND completed_at IS NOT NULL))
);
CREATE INDEX project_backups_project_idx ON project_backups (project_id, created_at DESC, id DESC);
CREATE INDEX project_backups_auto_idx ON project_backups (created_at) WHERE kind = 'auto';
