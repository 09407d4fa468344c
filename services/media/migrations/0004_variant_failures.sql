-- A variant that could not be made from its original (pixel cap exceeded, undecodable bytes) is
-- recorded once: later requests answer the recorded error instead of decoding the image again.
-- Only failures caused by the original's content are recorded; storage or database errors are not.
CREATE TABLE media_variant_failures (
  media_id uuid NOT NULL REFERENCES media (id) ON DELETE CASCADE,
  variant text NOT NULL,
  reason text NOT NULL,
  -- the decoder's own words, for operators; never sent to clients
  detail text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (media_id, variant),
  CONSTRAINT media_variant_failures_variant_valid CHECK (variant IN ('high', 'medium', 'low')),
  CONSTRAINT media_variant_failures_reason_valid CHECK (reason IN ('image_too_large', 'undecodable'))
);
