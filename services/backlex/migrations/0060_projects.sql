-- Projects (issue 17): one SQLite file per project and per branch, owned by the database hosts
-- (packages/database-host) under <data dir>/backlex/databases; PostgreSQL keeps what the control
-- plane knows about them. `org_id` is the organization's better-auth id (no foreign key, like the
-- events tables: rows outlive nothing they refer to, and usage history keeps deleted projects).

-- A project. `status`: provisioning → active | failed; active ⇄ paused; any → deleted (soft:
-- hidden at once, its slug free again, its files purged 7 days after `deleted_at`).
-- `template_version` is the version applied to the file (null until provisioned);
-- `template_target_version` the one provisioning applies. The data-API admin token is kept as its
-- sha-256 only and compared in constant time.
CREATE TABLE projects (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  slug text NOT NULL,
  name text NOT NULL,
  status text NOT NULL CHECK (status IN ('provisioning', 'active', 'failed', 'paused', 'deleted')),
  environment text NOT NULL DEFAULT 'production'
    CHECK (environment IN ('production', 'staging', 'development')),
  region text NOT NULL,
  db_type text NOT NULL DEFAULT 'd1' CHECK (db_type = 'd1'),
  template text NOT NULL,
  template_target_version integer NOT NULL,
  template_version integer,
  provision_error text,
  admin_token_hash bytea NOT NULL,
  size_bytes bigint NOT NULL DEFAULT 0,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  purged_at timestamptz,
  CONSTRAINT projects_deleted_has_time CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
);
-- Slugs are unique among an org's live projects only: a deleted project's slug is free at once.
CREATE UNIQUE INDEX projects_live_slug ON projects (org_id, slug) WHERE status <> 'deleted';
CREATE INDEX projects_org_idx ON projects (org_id, created_at, id);
CREATE INDEX projects_purge_idx ON projects (deleted_at) WHERE status = 'deleted' AND purged_at IS NULL;

-- A branch: a checkpointed copy of its project's file with its own data API
-- (`/api/db/{projectId}/branches/{name}/query`). Names and PR numbers are unique among the live
-- branches of a project; a deleted branch frees both.
CREATE TABLE project_branches (
  id text PRIMARY KEY,
  project_id text NOT NULL REFERENCES projects (id),
  name text NOT NULL,
  pr_number integer CHECK (pr_number > 0),
  status text NOT NULL CHECK (status IN ('active', 'deleted')),
  size_bytes bigint NOT NULL DEFAULT 0,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX project_branches_live_name ON project_branches (project_id, name) WHERE status = 'active';
CREATE UNIQUE INDEX project_branches_live_pr ON project_branches (project_id, pr_number)
  WHERE status = 'active' AND pr_number IS NOT NULL;

-- The rollout log (`GET …/deploys`): provisioning, template upgrades (and later restores) of a
-- project or one of its branches.
CREATE TABLE project_deploys (
  id text PRIMARY KEY,
  project_id text NOT NULL REFERENCES projects (id),
  branch_id text REFERENCES project_branches (id),
  kind text NOT NULL CHECK (kind IN ('provision', 'upgrade', 'restore')),
  status text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  template text,
  from_version integer,
  to_version integer,
  error text,
  actor_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_deploys_project_idx ON project_deploys (project_id, created_at DESC, id DESC);

-- Data-API failures grouped by fingerprint (kind + normalized SQL; parameters are never stored),
-- for the project's errors view.
CREATE TABLE project_errors (
  id text PRIMARY KEY,
  project_id text NOT NULL REFERENCES projects (id),
  fingerprint text NOT NULL,
  kind text NOT NULL,
  sql text NOT NULL,
  message text NOT NULL,
  branch text,
  count bigint NOT NULL DEFAULT 1,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT project_errors_fingerprint UNIQUE (project_id, fingerprint)
);
CREATE INDEX project_errors_recent_idx ON project_errors (project_id, last_seen_at DESC);
