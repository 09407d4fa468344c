-- Worker liveness for jobs that declare it: every process working such a queue writes a heartbeat
-- here, and records each run it starts. A run whose worker stopped beating (killed mid-job) is
-- failed by a live worker at its next heartbeat, so the queue retries it long before the job's
-- expiry would.
CREATE TABLE IF NOT EXISTS job_workers (
  id text PRIMARY KEY,
  hostname text NOT NULL,
  pid integer NOT NULL,
  queues text[] NOT NULL DEFAULT '{}',
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS job_runs (
  job_id uuid PRIMARY KEY,
  queue text NOT NULL,
  worker_id text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS job_runs_queue_idx ON job_runs (queue);
