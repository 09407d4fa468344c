-- Issue 17 (h17-restore): the project's template version a backup holds, read under the project
-- row's lock while the file is copied (no upgrade or restore can interleave). A restore of the
-- backup sets the project's `template_version` back to it. Null for backups taken before this
-- migration: their restore takes the version from the deploys log at the backup's completion.
ALTER TABLE project_backups ADD COLUMN template_version integer;
