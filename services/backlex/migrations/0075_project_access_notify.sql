-- The data API keeps each project's access state (status, admin-token hash, live branches) in
-- process memory (src/projects/project-access.ts) and drops it when PostgreSQL says it changed:
-- these triggers send `pg_notify('backlex_project_access', <project id>)` from every transaction
-- that changes one of those columns, whoever the writer is; the NOTIFY is delivered to every
-- LISTENing process when the transaction commits (and never when it rolls back). Size updates
-- (every data-API write refreshes them) notify nothing.
CREATE FUNCTION backlex_project_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'projects' THEN
    PERFORM pg_notify('backlex_project_access', COALESCE(NEW.id, OLD.id));
  ELSE
    PERFORM pg_notify('backlex_project_access', COALESCE(NEW.project_id, OLD.project_id));
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER projects_access_changed AFTER UPDATE ON projects
  FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.admin_token_hash IS DISTINCT FROM NEW.admin_token_hash)
  EXECUTE FUNCTION backlex_project_access_changed();
CREATE TRIGGER projects_access_removed AFTER DELETE ON projects
  FOR EACH ROW EXECUTE FUNCTION backlex_project_access_changed();

CREATE TRIGGER project_branches_access_changed AFTER UPDATE ON project_branches
  FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.name IS DISTINCT FROM NEW.name
        OR OLD.project_id IS DISTINCT FROM NEW.project_id)
  EXECUTE FUNCTION backlex_project_access_changed();
CREATE TRIGGER project_branches_access_added AFTER INSERT OR DELETE ON project_branches
  FOR EACH ROW EXECUTE FUNCTION backlex_project_access_changed();
