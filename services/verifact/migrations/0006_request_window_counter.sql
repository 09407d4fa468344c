-- The sliding 24 h window without counting it on every request. Before, consume_request (0002,
-- 0005) counted all of a key's logged requests of the last 24 h on every call: up to the key's
-- daily limit (5,000 by default) index entries per request. Now each key keeps the number of its
-- requests still inside the window (api_key_windows.live), and each logged request says whether it
-- is still counted there (api_requests.in_window). A call, under the key's counter-row lock, takes
-- out of the window only the requests that left it since the key's last call (through a partial
-- index that holds only counted requests, so older ones are never visited again), subtracts them
-- and checks/increments the counter: O(1) amortised, and the window stays exact.
-- The log rows themselves stay (the request log keeps its retention, pruned by the job).

ALTER TABLE api_requests ADD COLUMN IF NOT EXISTS in_window boolean NOT NULL DEFAULT false;
UPDATE api_requests SET in_window = true WHERE created_at > clock_timestamp() - interval '24 hours';
-- A logged request starts inside its window.
ALTER TABLE api_requests ALTER COLUMN in_window SET DEFAULT true;

-- Only the counted requests, by key and age: the sweep reads the oldest first and stops at the
-- window's edge; the oldest counted request (X-RateLimit-Reset) is its first entry.
CREATE INDEX IF NOT EXISTS api_requests_in_window ON api_requests (key_id, created_at) WHERE in_window;
-- Nothing else reads the log by key; every index costs a write per request.
DROP INDEX IF EXISTS api_requests_window;

CREATE TABLE IF NOT EXISTS api_key_windows (
  key_id text PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
  live integer NOT NULL DEFAULT 0 CHECK (live >= 0)
);
INSERT INTO api_key_windows (key_id, live)
  SELECT key_id, count(*) FROM api_requests WHERE in_window GROUP BY key_id
  ON CONFLICT (key_id) DO UPDATE SET live = excluded.live;

-- Locks the key's counter row (created on the key's first counted request) and takes out of the
-- window the key's requests that are p_window_seconds old or older. The lock is held until the
-- caller's transaction ends, so the key's calls run one after another. A VOLATILE function takes a
-- new snapshot for every statement under READ COMMITTED, so what follows the lock sees what the
-- lock's previous holder committed. `live` is the number of requests still in the window.
CREATE OR REPLACE FUNCTION sweep_request_window(
  p_key_id text,
  p_window_seconds integer,
  OUT live integer,
  OUT checked_at timestamptz
)
LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT
AS $$
DECLARE
  left_window integer;
BEGIN
  SELECT w.live INTO live FROM api_key_windows w WHERE w.key_id = p_key_id FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO api_key_windows (key_id) VALUES (p_key_id) ON CONFLICT (key_id) DO NOTHING;
    SELECT w.live INTO live FROM api_key_windows w WHERE w.key_id = p_key_id FOR UPDATE;
  END IF;
  checked_at := clock_timestamp();
  UPDATE api_requests r SET in_window = false
    WHERE r.key_id = p_key_id AND r.in_window
      AND r.created_at <= checked_at - make_interval(secs => p_window_seconds);
  GET DIAGNOSTICS left_window = ROW_COUNT;
  IF left_window > 0 THEN
    live := live - left_window;
    UPDATE api_key_windows w SET live = sweep_request_window.live WHERE w.key_id = p_key_id;
  END IF;
END
$$;

-- consume_request (0005) over the counter: same arguments, same answer. Still commits
-- asynchronously (0005: the key's lock is not held through a WAL flush; a crash can lose the last
-- fraction of a second of counted requests); metering still commits durably.
CREATE OR REPLACE FUNCTION consume_request(
  p_key_id text,
  p_tenant_id text,
  p_operation text,
  p_limit integer,
  p_window_seconds integer
)
RETURNS TABLE (used bigint, oldest timestamptz, inserted timestamptz, freeing timestamptz, checked_at timestamptz)
LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT
AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  SELECT s.live, s.checked_at INTO used, checked_at FROM sweep_request_window(p_key_id, p_window_seconds) s;
  SELECT r.created_at INTO oldest
    FROM api_requests r WHERE r.key_id = p_key_id AND r.in_window
    ORDER BY r.created_at LIMIT 1;
  IF used < p_limit THEN
    INSERT INTO api_requests (key_id, tenant_id, operation, in_window)
      VALUES (p_key_id, p_tenant_id, p_operation, true)
      RETURNING created_at INTO inserted;
    UPDATE api_key_windows w SET live = used + 1 WHERE w.key_id = p_key_id;
  ELSE
    -- The (used - limit + 1)-th oldest request must leave the window before one more fits (more
    -- than one when the key's limit was lowered).
    SELECT r.created_at INTO freeing
      FROM api_requests r WHERE r.key_id = p_key_id AND r.in_window
      ORDER BY r.created_at OFFSET greatest(0, used - p_limit) LIMIT 1;
  END IF;
  RETURN NEXT;
END
$$;
