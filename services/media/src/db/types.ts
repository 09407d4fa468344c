import type { ColumnType, Generated, Selectable } from 'kysely';

export type Visibility = 'public' | 'organization' | 'private';
export type LinkVisibility = 'public' | 'organization' | 'restricted';
export type FileType = 'image' | 'video' | 'document' | 'audio' | 'other';
export type VariantName = 'high' | 'medium' | 'low';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface StorageUsageTable {
  owner_id: string;
  used_bytes: number;
  max_bytes: number;
  updated_at: Timestamp;
}

export interface FoldersTable {
  id: string;
  owner_id: string;
  org_id: string | null;
  parent_id: string | null;
  name: string;
  /** Derived by trigger from the parent; the value written is ignored. */
  path: ColumnType<string, string | undefined, string>;
  depth: ColumnType<number, number | undefined, number>;
  visibility: Visibility;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MediaTable {
  id: string;
  owner_id: string;
  org_id: string | null;
  folder_id: string | null;
  filename: string;
  original_name: string;
  mime_type: string;
  file_type: FileType;
  size_bytes: number;
  checksum: string;
  storage_path: string;
  visibility: Visibility;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MediaVariantsTable {
  media_id: string;
  variant: VariantName;
  storage_path: string;
  mime_type: string;
  size_bytes: number;
  checksum: string;
  quality: number;
  created_at: Timestamp;
}

export type VariantFailureReason = 'image_too_large' | 'undecodable';

export interface MediaVariantFailuresTable {
  media_id: string;
  variant: VariantName;
  reason: VariantFailureReason;
  detail: string;
  failed_at: Timestamp;
}

export interface SharedLinksTable {
  id: string;
  media_id: string;
  created_by: string;
  org_id: string | null;
  token_hash: string;
  token_prefix: string;
  visibility: LinkVisibility;
  password_hash: string | null;
  expires_at: Date | null;
  max_downloads: number | null;
  download_count: Generated<number>;
  created_at: Timestamp;
}

export interface StarredMediaTable {
  owner_id: string;
  media_id: string;
  notes: string | null;
  starred_at: Timestamp;
}

export interface RecentAccessTable {
  owner_id: string;
  media_id: string;
  access_type: string;
  accessed_at: Timestamp;
}

export interface PendingUploadsTable {
  storage_path: string;
  owner_id: string;
  started_at: Timestamp;
}

export interface MediaDatabase {
  pending_uploads: PendingUploadsTable;
  storage_usage: StorageUsageTable;
  folders: FoldersTable;
  media: MediaTable;
  media_variants: MediaVariantsTable;
  media_variant_failures: MediaVariantFailuresTable;
  shared_links: SharedLinksTable;
  starred_media: StarredMediaTable;
  recent_access: RecentAccessTable;
}

export type FolderRow = Selectable<FoldersTable>;
export type MediaRow = Selectable<MediaTable>;
export type VariantRow = Selectable<MediaVariantsTable>;
export type VariantFailureRow = Selectable<MediaVariantFailuresTable>;
export type SharedLinkRow = Selectable<SharedLinksTable>;
