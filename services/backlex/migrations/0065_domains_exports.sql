-- Issue 17 (h17-domains): custom domains of a project and the org exports.

-- A custom domain: a hostname (IDNA ASCII form, lowercase) a project's data API answers at
-- (`POST https://<hostname>/query`) once its TXT challenge `_backlex-challenge.<hostname>` = token
-- has been seen. Unique within its project (a removed domain's row is deleted); verified by one
-- live project at most, which the domain module checks under a per-hostname advisory lock (a
-- deleted project's domains stop counting at once, so no index can say it).
CREATE TABLE project_domains (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  hostname text NOT NULL CHECK (hostname = lower(hostname) AND length(hostname) BETWEEN 3 AND 253),
  status text NOT NULL CHECK (status IN ('pending', 'verified')),
  challenge_token text NOT NULL,
  last_error text,
  last_checked_at timestamptz,
  verified_at timestamptz,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT project_domains_verified_has_time CHECK ((status = 'verified') = (verified_at IS NOT NULL))
);
CREATE UNIQUE INDEX project_domains_project_host ON project_domains (project_id, hostname);
CREATE INDEX project_domains_host_idx ON project_domains (hostname) WHERE status = 'verified';

-- One `POST /org/{slug}/export`: a `.sql` dump per non-deleted project that had a database, stored
-- in the kernel object store under `object_key`. Rows stay (usage counts export bytes as `r2`).
CREATE TABLE project_exports (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  export_id text NOT NULL,
  project_id text NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  project_slug text NOT NULL,
  filename text NOT NULL,
  object_key text NOT NULL,
  size_bytes bigint NOT NULL,
  sha256 text NOT NULL,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_exports_org_idx ON project_exports (org_id, created_at);
CREATE INDEX project_exports_project_idx ON project_exports (project_id, created_at);
