-- Issue 16, hot path: every process keeps the org gate's answers (membership by slug and user, the
-- active org by slug) and verified API keys in memory (src/auth/access-cache.ts). These triggers
-- NOTIFY `backlex_access` in the transaction of any change that could alter such an answer, so every
-- LISTENing process drops what it holds when that transaction commits — whoever wrote the row:
-- backlex's routes, better-auth's plugins (SCIM's projection, SSO's just-in-time members), a job or
-- a person at a psql prompt. Payload `org:<organization id>` or `key:<apikey id>`.

CREATE FUNCTION notify_access_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  subject text;
BEGIN
  IF TG_TABLE_NAME = 'member' THEN
    subject := 'org:' || COALESCE(NEW."organizationId", OLD."organizationId");
    IF TG_OP = 'UPDATE' AND NEW."organizationId" IS DISTINCT FROM OLD."organizationId" THEN
      PERFORM pg_notify('backlex_access', 'org:' || OLD."organizationId");
    END IF;
  ELSIF TG_TABLE_NAME = 'organization' THEN
    subject := 'org:' || COALESCE(NEW.id, OLD.id);
  ELSE
    subject := 'key:' || COALESCE(NEW.id, OLD.id);
  END IF;
  PERFORM pg_notify('backlex_access', subject);
  RETURN NULL;
END;
$$;

CREATE TRIGGER member_access_change AFTER INSERT OR UPDATE OR DELETE ON member
  FOR EACH ROW EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER organization_access_change AFTER UPDATE OR DELETE ON organization
  FOR EACH ROW EXECUTE FUNCTION notify_access_change();
-- Not on the usage columns (`lastRequest`, `requestCount`, `updatedAt`): touching a key's
-- `lastUsedAt` must not empty every process's cache of it.
CREATE TRIGGER apikey_access_change
  AFTER UPDATE OF "key", "referenceId", "enabled", "expiresAt", "metadata", "permissions", "configId" OR DELETE
  ON apikey
  FOR EACH ROW EXECUTE FUNCTION notify_access_change();
