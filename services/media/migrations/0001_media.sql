-- Media service schema. The runner sets search_path to the service schema.

-- Per-user storage accounting. The CHECK is the authoritative quota: the upload path bumps
-- used_bytes in the same transaction as the media insert, so two concurrent uploads that
-- together exceed max_bytes serialize on this row and the second one violates the check.
CREATE TABLE storage_usage (
  owner_id text PRIMARY KEY,
  used_bytes bigint NOT NULL DEFAULT 0,
  max_bytes bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT storage_usage_within_quota CHECK (used_bytes >= 0 AND used_bytes <= max_bytes),
  CONSTRAINT storage_usage_max_positive CHECK (max_bytes >= 0)
);

CREATE TABLE folders (
  id uuid PRIMARY KEY,
  owner_id text NOT NULL,
  org_id text,
  parent_id uuid REFERENCES folders (id),
  name text NOT NULL,
  path text NOT NULL,
  depth integer NOT NULL,
  visibility text NOT NULL DEFAULT 'private',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT folders_name_valid CHECK (
    char_length(name) BETWEEN 1 AND 255 AND name !~ '[/[:cntrl:]]' AND name NOT IN ('.', '..')
  ),
  CONSTRAINT folders_depth_range CHECK (depth BETWEEN 0 AND 100),
  CONSTRAINT folders_visibility_valid CHECK (visibility IN ('public', 'organization', 'private')),
  CONSTRAINT folders_not_own_parent CHECK (parent_id IS DISTINCT FROM id)
);
-- Sibling names are unique per parent; roots (parent_id NULL) are siblings of each other.
CREATE UNIQUE INDEX folders_sibling_name_unique ON folders (owner_id, org_id, parent_id, name) NULLS NOT DISTINCT;
CREATE INDEX folders_parent_idx ON folders (parent_id);
CREATE INDEX folders_owner_idx ON folders (owner_id, org_id);

-- path and depth are derived from the parent, never trusted from the application.
CREATE FUNCTION folder_derive_path() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  parent_owner text;
  parent_org text;
  parent_path text;
  parent_depth integer;
BEGIN
  IF NEW.parent_id IS NULL THEN
    NEW.path := NEW.name;
    NEW.depth := 0;
  ELSE
    SELECT owner_id, org_id, path, depth INTO parent_owner, parent_org, parent_path, parent_depth
      FROM folders WHERE id = NEW.parent_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'parent folder % does not exist', NEW.parent_id
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'folders_parent_id_fkey';
    END IF;
    IF parent_owner <> NEW.owner_id OR parent_org IS DISTINCT FROM NEW.org_id THEN
      RAISE EXCEPTION 'parent folder belongs to another owner'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'folders_parent_same_owner';
    END IF;
    NEW.path := parent_path || '/' || NEW.name;
    NEW.depth := parent_depth + 1;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER trg_folder_derive_path
  BEFORE INSERT OR UPDATE OF name, parent_id ON folders
  FOR EACH ROW EXECUTE FUNCTION folder_derive_path();

-- A rename (or move) rewrites every descendant's path and depth inside the same transaction:
-- updating the children fires this trigger again for theirs.
CREATE FUNCTION update_folder_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.path IS DISTINCT FROM OLD.path OR NEW.depth IS DISTINCT FROM OLD.depth THEN
    UPDATE folders
       SET path = NEW.path || '/' || name, depth = NEW.depth + 1, updated_at = now()
     WHERE parent_id = NEW.id;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER trg_update_folder_path
  AFTER UPDATE OF path, depth ON folders
  FOR EACH ROW EXECUTE FUNCTION update_folder_path();

CREATE TABLE media (
  id uuid PRIMARY KEY,
  owner_id text NOT NULL,
  org_id text,
  folder_id uuid REFERENCES folders (id),
  filename text NOT NULL,
  original_name text NOT NULL,
  mime_type text NOT NULL,
  file_type text NOT NULL,
  size_bytes bigint NOT NULL,
  checksum text NOT NULL,
  storage_path text NOT NULL UNIQUE,
  visibility text NOT NULL DEFAULT 'organization',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT media_size_nonnegative CHECK (size_bytes >= 0),
  CONSTRAINT media_visibility_valid CHECK (visibility IN ('public', 'organization', 'private')),
  CONSTRAINT media_file_type_valid CHECK (file_type IN ('image', 'video', 'document', 'audio', 'other')),
  CONSTRAINT media_checksum_format CHECK (checksum ~ '^sha256:[0-9a-f]{64}$'),
  CONSTRAINT media_original_name_valid CHECK (char_length(original_name) BETWEEN 1 AND 255)
);
CREATE INDEX media_owner_idx ON media (owner_id, org_id, created_at DESC);
CREATE INDEX media_folder_idx ON media (folder_id);

-- Derived image tiers; the original is never among them and never rewritten.
CREATE TABLE media_variants (
  media_id uuid NOT NULL REFERENCES media (id) ON DELETE CASCADE,
  variant text NOT NULL,
  storage_path text NOT NULL UNIQUE,
  mime_type text NOT NULL,
  size_bytes bigint NOT NULL,
  checksum text NOT NULL,
  quality integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (media_id, variant),
  CONSTRAINT media_variants_variant_valid CHECK (variant IN ('high', 'medium', 'low'))
);

CREATE TABLE shared_links (
  id uuid PRIMARY KEY,
  media_id uuid NOT NULL REFERENCES media (id) ON DELETE CASCADE,
  created_by text NOT NULL,
  org_id text,
  -- sha-256 of the opaque token: the token itself is a bearer secret and is shown only once.
  token_hash text NOT NULL UNIQUE,
  token_prefix text NOT NULL,
  visibility text NOT NULL DEFAULT 'restricted',
  -- bcrypt ($2…) or, for rows imported from the legacy system, hex sha-256; upgraded on access.
  password_hash text,
  expires_at timestamptz,
  max_downloads integer,
  download_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT shared_links_visibility_valid CHECK (visibility IN ('public', 'organization', 'restricted')),
  CONSTRAINT shared_links_max_downloads_positive CHECK (max_downloads IS NULL OR max_downloads > 0),
  CONSTRAINT shared_links_within_cap CHECK (
    download_count >= 0 AND (max_downloads IS NULL OR download_count <= max_downloads)
  )
);
CREATE INDEX shared_links_creator_idx ON shared_links (created_by, org_id, created_at DESC);

CREATE TABLE starred_media (
  owner_id text NOT NULL,
  media_id uuid NOT NULL REFERENCES media (id) ON DELETE CASCADE,
  notes text,
  starred_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner_id, media_id),
  CONSTRAINT starred_media_notes_length CHECK (notes IS NULL OR char_length(notes) <= 2000)
);
CREATE INDEX starred_media_owner_idx ON starred_media (owner_id, starred_at DESC);

CREATE TABLE recent_access (
  owner_id text NOT NULL,
  media_id uuid NOT NULL REFERENCES media (id) ON DELETE CASCADE,
  access_type text NOT NULL DEFAULT 'view',
  accessed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner_id, media_id)
);
CREATE INDEX recent_access_owner_idx ON recent_access (owner_id, accessed_at DESC);
