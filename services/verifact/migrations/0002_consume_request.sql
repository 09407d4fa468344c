-- The sliding 24 h window of an API key, counted and logged in one call (one round trip per
-- counted request; the key's row lock is held only while the server runs it). A VOLATILE
-- function takes a new snapshot for every statement under READ COMMITTED, so the count after
-- the lock sees what the lock's previous holder committed.
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
