-- Durable queues of the embedded bus: a named subscription binds its queue to an exchange here,
-- so a message published by any process (the outbox relay of another service) is stored in that
-- queue (a pg-boss queue of the same name) even while its consumer is down, as RabbitMQ would.
CREATE TABLE IF NOT EXISTS bus_bindings (
  queue text NOT NULL,
  exchange text NOT NULL,
  binding_key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (queue, exchange, binding_key)
);
CREATE INDEX IF NOT EXISTS bus_bindings_exchange_idx ON bus_bindings (exchange);

-- A mandatory message that no queue or subscriber takes stays in the outbox and is retried, until
-- a consumer declares its queue: a request is not lost because its consumer has never started.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS mandatory boolean NOT NULL DEFAULT false;
