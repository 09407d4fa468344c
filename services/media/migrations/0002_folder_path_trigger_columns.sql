-- `UPDATE OF path, depth` only fires when those columns are in the statement's SET list, not when
-- trg_folder_derive_path changes them during a rename; listen to name and parent_id as well.
DROP TRIGGER IF EXISTS trg_update_folder_path ON folders;
CREATE TRIGGER trg_update_folder_path
  AFTER UPDATE OF name, parent_id, path, depth ON folders
  FOR EACH ROW EXECUTE FUNCTION update_folder_path();
