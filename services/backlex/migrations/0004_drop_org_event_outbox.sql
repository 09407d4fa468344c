-- Org events go through the events outbox (0020: `events` + the fan-out job); this first table
-- was never read and nothing writes it any more.
DROP TABLE org_event_outbox;
