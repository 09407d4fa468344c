-- Identity-side tables beside better-auth's (0001): constraints better-auth does not declare,
-- account profiles, the append-only audit log and the org event outbox.

-- One membership per user and org: the unique index also serializes two concurrent joins.
CREATE UNIQUE INDEX member_org_user_key ON "member" ("organizationId", "userId");
-- An invitation token is looked up by its hash; at most one pending invitation per org and address.
CREATE UNIQUE INDEX invitation_token_hash_key ON "invitation" ("tokenHash") WHERE "tokenHash" IS NOT NULL;
CREATE UNIQUE INDEX invitation_pending_email_key ON "invitation" ("organizationId", lower("email"))
  WHERE "status" = 'pending';
ALTER TABLE "organization"
  ADD CONSTRAINT organization_slug_ascii CHECK ("slug" ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length("slug") <= 64),
  ADD CONSTRAINT organization_status_known CHECK ("status" IN ('active', 'deleted'));
ALTER TABLE "member" ADD CONSTRAINT member_role_known CHECK ("role" IN ('owner', 'admin', 'developer', 'viewer'));
-- `POST /org` counts a user's orgs of the last 24 hours (10/day).
CREATE INDEX organization_created_by_idx ON "organization" ("createdBy", "createdAt");

-- Profile fields of `/account` that better-auth's user has no place for.
CREATE TABLE account_profile (
  user_id text PRIMARY KEY REFERENCES "user" ("id") ON DELETE CASCADE,
  title text,
  timezone text,
  preferences jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The org audit log: one row per mutation, written in the mutation's transaction.
CREATE TABLE audit_event (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  public_id text NOT NULL UNIQUE,
  organization_id text NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'key', 'scim', 'system')),
  actor_id text,
  actor_label text,
  action text NOT NULL CHECK (action ~ '^[a-z][a-zA-Z0-9_]*(\.[a-z][a-zA-Z0-9_]*)+$'),
  target_type text,
  target_id text,
  ip text,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- No foreign key to the org: the trail outlives it (a deleted org keeps its log).
CREATE INDEX audit_event_org_created_idx ON audit_event (organization_id, created_at DESC, id DESC);
CREATE INDEX audit_event_org_action_idx ON audit_event (organization_id, action text_pattern_ops);

-- Append-only: the database itself refuses to change or remove an audit row.
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();

-- Org events (org.deleted, member.joined, …) recorded in the transaction of the change; the events
-- module fans them out to webhooks, integrations and notifications and marks them dispatched.
CREATE TABLE org_event_outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  public_id text NOT NULL UNIQUE,
  organization_id text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  dispatched_at timestamptz
);
CREATE INDEX org_event_outbox_pending_idx ON org_event_outbox (id) WHERE dispatched_at IS NULL;
