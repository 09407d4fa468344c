-- Usage (issue 17, h17-usage): daily per-project usage, the objects stored for projects (backups,
-- exports: r2), usage alarms and the per-org enforcement state the data API reads from memory.
-- `org_id` is the organization's better-auth id (no foreign key, like `projects`): usage history
-- outlives deleted projects and orgs.

-- One row per project and UTC day. `requests` is a counter (data-API requests to the project and
-- its branches, added by batched flushes: `requests = requests + n`); `d1_bytes` and `r2_bytes`
-- are gauges (the newest sample of that day: files of the project and its live branches; bytes of
-- the project's stored objects); `neurons` stays 0 until something consumes them.
CREATE TABLE project_usage_daily (
  project_id text NOT NULL REFERENCES projects (id),
  day date NOT NULL,
  org_id text NOT NULL,
  requests bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
  d1_bytes bigint NOT NULL DEFAULT 0 CHECK (d1_bytes >= 0),
  r2_bytes bigint NOT NULL DEFAULT 0 CHECK (r2_bytes >= 0),
  neurons bigint NOT NULL DEFAULT 0 CHECK (neurons >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, day)
);
CREATE INDEX project_usage_daily_org_day ON project_usage_daily (org_id, day);

-- Objects kept for a project in the object store (kernel objects): `backup` (h17-backups) and
-- `export` (h17-domains) write here through `recordStoredObject` / `forgetStoredObject`. An object
-- counts towards r2 on every UTC day it was stored at some moment of.
CREATE TABLE project_stored_objects (
  kind text NOT NULL CHECK (kind IN ('backup', 'export')),
  key text NOT NULL,
  project_id text NOT NULL REFERENCES projects (id),
  org_id text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  PRIMARY KEY (kind, key)
);
CREATE INDEX project_stored_objects_project ON project_stored_objects (project_id, created_at);

-- A usage alarm: fires `alarm.fired` once per billing period when the project's use of `metric`
-- reaches `threshold_pct` % of the org's allowance (plan + packs). `fired_period_start` is the
-- start of the period it last fired in (claimed with an UPDATE … WHERE it differs: once per period
-- even with several evaluators).
CREATE TABLE project_alarms (
  id text PRIMARY KEY,
  project_id text NOT NULL REFERENCES projects (id),
  org_id text NOT NULL,
  metric text NOT NULL CHECK (metric IN ('requests', 'd1', 'r2')),
  threshold_pct integer NOT NULL CHECK (threshold_pct BETWEEN 1 AND 100),
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  fired_period_start timestamptz,
  last_fired_at timestamptz,
  CONSTRAINT project_alarms_unique UNIQUE (project_id, metric, threshold_pct)
);
CREATE INDEX project_alarms_org ON project_alarms (org_id);

-- Per org: what the data API enforces, computed after usage flushes and samples; every process
-- keeps it in memory (loaded at start, refreshed on NOTIFY backlex_usage_enforcement).
-- `request_throttled` holds until `period_end` (a new period starts from zero requests).
CREATE TABLE org_usage_enforcement (
  org_id text PRIMARY KEY,
  request_throttled boolean NOT NULL,
  storage_read_only boolean NOT NULL,
  period_end timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
