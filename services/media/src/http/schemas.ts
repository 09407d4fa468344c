import { z } from 'zod';
import type { FolderRow, MediaRow, SharedLinkRow } from '../db/types.js';

export const visibilitySchema = z.enum(['public', 'organization', 'private']);
export const linkVisibilitySchema = z.enum(['public', 'organization', 'restricted']);
export const fileTypeSchema = z.enum(['image', 'video', 'document', 'audio', 'other']);
export const uuidSchema = z.uuid();

export const idParams = z.object({ id: uuidSchema });

/** Free text PostgreSQL can store: NUL is the one character a `text` column refuses. */
export function freeText(max: number) {
  return z
    .string()
    .max(max)
    .refine((value) => !value.includes('\u0000'), 'must not contain NUL characters');
}

/** `?page` + `?per_page`: 1-indexed, default 20, hard cap 100 (larger values are clamped). */
export const paginationQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  per_page: z.coerce
    .number()
    .int()
    .min(1)
    .default(20)
    .transform((value) => Math.min(value, 100)),
});

export const booleanQuery = z
  .enum(['true', 'false', '1', '0'])
  .default('false')
  .transform((value) => value === 'true' || value === '1');

export function paged<T>(items: T[], total: number, page: number, perPage: number) {
  return { items, total, page, per_page: perPage, total_pages: Math.ceil(total / perPage) };
}

export const pageMeta = {
  total: z.number().int(),
  page: z.number().int(),
  per_page: z.number().int(),
  total_pages: z.number().int(),
};

const iso = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString();
const isoOrNull = (value: Date | string | null) => (value === null ? null : iso(value));

export const mediaSchema = z.object({
  id: z.string(),
  filename: z.string(),
  original_name: z.string(),
  mime_type: z.string(),
  file_type: fileTypeSchema,
  size_bytes: z.number().int(),
  checksum: z.string(),
  storage_path: z.string(),
  visibility: visibilitySchema,
  folder_id: z.string().nullable(),
  owner_id: z.string(),
  org_id: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export function mediaJson(row: MediaRow): z.infer<typeof mediaSchema> {
  return {
    id: row.id,
    filename: row.filename,
    original_name: row.original_name,
    mime_type: row.mime_type,
    file_type: row.file_type,
    size_bytes: row.size_bytes,
    checksum: row.checksum,
    storage_path: row.storage_path,
    visibility: row.visibility,
    folder_id: row.folder_id,
    owner_id: row.owner_id,
    org_id: row.org_id,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export const folderSchema = z.object({
  id: z.string(),
  name: z.string(),
  parent_id: z.string().nullable(),
  path: z.string(),
  depth: z.number().int(),
  visibility: visibilitySchema,
  created_at: z.string(),
  updated_at: z.string(),
});

export function folderJson(row: FolderRow): z.infer<typeof folderSchema> {
  return {
    id: row.id,
    name: row.name,
    parent_id: row.parent_id,
    path: row.path,
    depth: row.depth,
    visibility: row.visibility,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export const sharedLinkSchema = z.object({
  id: z.string(),
  media_id: z.string(),
  created_by: z.string(),
  token_prefix: z.string(),
  visibility: linkVisibilitySchema,
  has_password: z.boolean(),
  expires_at: z.string().nullable(),
  max_downloads: z.number().int().nullable(),
  download_count: z.number().int(),
  created_at: z.string(),
});

export function sharedLinkJson(row: SharedLinkRow): z.infer<typeof sharedLinkSchema> {
  return {
    id: row.id,
    media_id: row.media_id,
    created_by: row.created_by,
    token_prefix: row.token_prefix,
    visibility: row.visibility,
    has_password: row.password_hash !== null,
    expires_at: isoOrNull(row.expires_at),
    max_downloads: row.max_downloads,
    download_count: row.download_count,
    created_at: iso(row.created_at),
  };
}

export { iso };
