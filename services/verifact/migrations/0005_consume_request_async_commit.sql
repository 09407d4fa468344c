-- consume_request (0002) without waiting for the WAL flush at commit. Every counted request of a
-- key runs it under that key's row lock, which is released only when the transaction commits:
-- with a synchronous commit each request held the lock through a disk flush (≈ 10 ms on a busy
-- disk), so one key's requests queued behind each other's fsyncs. The log row is visible to the
-- next request at once either way; what an asynchronous commit gives up is the last fraction of a
-- second of counted requests if the machine (or PostgreSQL) crashes: a key may then get that many
-- extra requests in its window. Metering (usage_events) is not touched: it still commits durably.
-- set_config(…, true) lasts until the end of the caller's transaction: the statement's own when
-- called alone, as the service does.
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
DECLARE
  since timestamptz;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM 1 FROM api_keys WHERE id = p_key_id FOR UPDATE;
  checked_at := clock_timestamp();
  since := checked_at - make_interval(secs => p_window_seconds);
  SELECT count(*), min(r.created_at) INTO used, oldest
    FROM api_requests r WHERE r.key_id = p_key_id AND r.created_at > since;
  IF used < p_limit THEN
    INSERT INTO api_requests (key_id, tenant_id, operation)
      VALUES (p_key_id, p_tenant_id, p_operation)
      RETURNING created_at INTO inserted;
  ELSE
    -- The (used - limit + 1)-th oldest request must leave the window before one more fits.
    SELECT r.created_at INTO freeing
      FROM api_requests r WHERE r.key_id = p_key_id AND r.created_at > since
      ORDER BY r.created_at OFFSET greatest(0, used - p_limit) LIMIT 1;
  END IF;
  RETURN NEXT;
END
$$;
