import type { Database } from '@trustplane/kernel';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Principal } from '../auth/principal.js';
import { mediaErrors } from '../errors.js';
import { isPgViolation } from '@trustplane/kernel';
import { escapeLike } from './pg-errors.js';
import { ownedBy, readableBy } from './scope.js';
import type { FileType, MediaDatabase, MediaRow, VariantRow, Visibility } from './types.js';

export interface NewMedia {
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
}

export interface MediaListQuery {
  folderId?: string;
  visibility?: Visibility;
  fileType?: FileType;
  search?: string;
  sort: 'created_at' | 'name' | 'size' | 'updated_at';
  order: 'asc' | 'desc';
  page: number;
  perPage: number;
}

export interface Usage {
  usedBytes: number;
  maxBytes: number;
}

const SORT_COLUMNS = {
  created_at: 'media.created_at',
  name: 'media.original_name',
  size: 'media.size_bytes',
  updated_at: 'media.updated_at',
} as const;

export function createMediaRepository(
  database: Database<MediaDatabase>,
  options: { defaultQuotaBytes: number },
) {
  const db = database.kysely;

  async function usage(ownerId: string, executor: Kysely<MediaDatabase> = db): Promise<Usage> {
    const row = await executor
      .selectFrom('storage_usage')
      .select(['used_bytes', 'max_bytes'])
      .where('owner_id', '=', ownerId)
      .executeTakeFirst();
    return row
      ? { usedBytes: row.used_bytes, maxBytes: row.max_bytes }
      : { usedBytes: 0, maxBytes: options.defaultQuotaBytes };
  }

  /** Adds `delta` (may be negative) to the owner's usage; the CHECK refuses going over the quota. */
  async function addUsage(trx: Transaction<MediaDatabase>, ownerId: string, delta: number): Promise<void> {
    if (delta < 0) {
      // Releasing: the row exists since the bytes were charged to it (an INSERT would fail the CHECK).
      await trx
        .updateTable('storage_usage')
        .set({ used_bytes: sql`greatest(used_bytes + ${delta}, 0)`, updated_at: sql`now()` })
        .where('owner_id', '=', ownerId)
        .execute();
      return;
    }
    try {
      await trx
        .insertInto('storage_usage')
        .values({ owner_id: ownerId, used_bytes: delta, max_bytes: options.defaultQuotaBytes })
        .onConflict((oc) =>
          oc.column('owner_id').doUpdateSet({
            used_bytes: sql`storage_usage.used_bytes + ${delta}`,
            updated_at: sql`now()`,
          }),
        )
        .execute();
    } catch (error) {
      if (isPgViolation(error, 'checkViolation', 'storage_usage_within_quota')) {
        const current = await usage(ownerId);
        throw mediaErrors.quotaExceeded(current.usedBytes, current.maxBytes);
      }
      throw error;
    }
  }

  return {
    usage,

    /** Operator override of one user's quota; refused (CHECK) below what they already use. */
    async setQuota(ownerId: string, maxBytes: number): Promise<Usage> {
      try {
        const row = await db
          .insertInto('storage_usage')
          .values({ owner_id: ownerId, used_bytes: 0, max_bytes: maxBytes })
          .onConflict((oc) =>
            oc.column('owner_id').doUpdateSet({ max_bytes: maxBytes, updated_at: sql`now()` }),
          )
          .returning(['used_bytes', 'max_bytes'])
          .executeTakeFirstOrThrow();
        return { usedBytes: row.used_bytes, maxBytes: row.max_bytes };
      } catch (error) {
        if (isPgViolation(error, 'checkViolation', 'storage_usage_within_quota')) {
          throw new Error(`owner ${ownerId} already uses more than ${maxBytes} bytes`);
        }
        throw error;
      }
    },

    /** Records that `storagePath` is about to be written, before any byte reaches storage. */
    async beginUpload(storagePath: string, ownerId: string): Promise<void> {
      await db
        .insertInto('pending_uploads')
        .values({ storage_path: storagePath, owner_id: ownerId })
        .execute();
    },

    /** Forgets an intent once its blob is gone (failed upload). */
    async abandonUpload(storagePath: string): Promise<void> {
      await db.deleteFrom('pending_uploads').where('storage_path', '=', storagePath).execute();
    },

    /** Intents older than `before` whose media row never landed: their blobs are orphans. */
    async staleUploads(before: Date): Promise<string[]> {
      const rows = await db
        .selectFrom('pending_uploads')
        .select('storage_path')
        .where('started_at', '<', before)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('media')
                .select('media.id')
                .whereRef('media.storage_path', '=', 'pending_uploads.storage_path'),
            ),
          ),
        )
        .execute();
      return rows.map((row) => row.storage_path);
    },

    /** The media row and its quota charge in one transaction: either both land or neither. */
    async insert(row: NewMedia): Promise<MediaRow> {
      try {
        return await database.transaction(async (trx) => {
          await addUsage(trx, row.owner_id, row.size_bytes);
          const inserted = await trx.insertInto('media').values(row).returningAll().executeTakeFirstOrThrow();
          await trx.deleteFrom('pending_uploads').where('storage_path', '=', row.storage_path).execute();
          return inserted;
        });
      } catch (error) {
        if (isPgViolation(error, 'foreignKeyViolation')) throw mediaErrors.folderNotFound();
        throw error;
      }
    },

    async findReadable(id: string, principal: Principal | undefined): Promise<MediaRow | undefined> {
      return db
        .selectFrom('media')
        .selectAll()
        .where('id', '=', id)
        .where(readableBy(principal))
        .executeTakeFirst();
    },

    async findOwned(id: string, principal: Principal): Promise<MediaRow | undefined> {
      return db
        .selectFrom('media')
        .selectAll()
        .where('id', '=', id)
        .where(ownedBy('media', principal))
        .executeTakeFirst();
    },

    async list(principal: Principal, query: MediaListQuery): Promise<{ items: MediaRow[]; total: number }> {
      let base = db.selectFrom('media').where(ownedBy('media', principal));
      if (query.folderId !== undefined) base = base.where('folder_id', '=', query.folderId);
      if (query.visibility !== undefined) base = base.where('visibility', '=', query.visibility);
      if (query.fileType !== undefined) base = base.where('file_type', '=', query.fileType);
      if (query.search !== undefined && query.search !== '') {
        base = base.where(
          sql<boolean>`media.original_name ILIKE ${`%${escapeLike(query.search)}%`} ESCAPE '\\'`,
        );
      }
      const [{ total } = { total: 0 }] = await base
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .execute();
      const direction = query.order === 'asc' ? sql`ASC` : sql`DESC`;
      const items = await base
        .selectAll()
        .orderBy(sql`${sql.ref(SORT_COLUMNS[query.sort])} ${direction}`)
        .orderBy(sql`media.id ${direction}`)
        .limit(query.perPage)
        .offset((query.page - 1) * query.perPage)
        .execute();
      return { items, total: Number(total) };
    },

    async rename(id: string, principal: Principal, originalName: string): Promise<MediaRow | undefined> {
      return db
        .updateTable('media')
        .set({ original_name: originalName, updated_at: sql`now()` })
        .where('id', '=', id)
        .where(ownedBy('media', principal))
        .returningAll()
        .executeTakeFirst();
    },

    async setVisibility(
      id: string,
      principal: Principal,
      visibility: Visibility,
    ): Promise<MediaRow | undefined> {
      return db
        .updateTable('media')
        .set({ visibility, updated_at: sql`now()` })
        .where('id', '=', id)
        .where(ownedBy('media', principal))
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * Deletes the row (variants cascade) and releases its quota in one transaction; returns what the
     * caller must then remove from storage. Rows go first so "row ⇒ blob exists" always holds.
     */
    /** `inTransaction` runs before the commit (the blobs' deletion job is sent there). */
    async deleteOwned(
      id: string,
      principal: Principal,
      inTransaction?: (
        trx: Transaction<MediaDatabase>,
        media: MediaRow,
        variants: VariantRow[],
      ) => Promise<void>,
    ): Promise<{ media: MediaRow; variants: VariantRow[] } | undefined> {
      return database.transaction(async (trx) => {
        const media = await trx
          .selectFrom('media')
          .selectAll()
          .where('id', '=', id)
          .where(ownedBy('media', principal))
          .forUpdate()
          .executeTakeFirst();
        if (!media) return undefined;
        const variants = await trx
          .selectFrom('media_variants')
          .selectAll()
          .where('media_id', '=', id)
          .execute();
        await trx.deleteFrom('media').where('id', '=', id).execute();
        await addUsage(trx, media.owner_id, -media.size_bytes);
        await inTransaction?.(trx, media, variants);
        return { media, variants };
      });
    },

    addUsage,
  };
}

export type MediaRepository = ReturnType<typeof createMediaRepository>;
