-- Issue 16, webhook throughput: a fan-out job also takes other events still waiting to be fanned out
-- (src/events/fan-out.ts, oldest first, SKIP LOCKED), so a burst is handed out a batch per
-- transaction. This index keeps that lookup on the few pending rows, however long the outbox grows.
CREATE INDEX events_pending_idx ON events (created_at) WHERE fanned_out_at IS NULL;
