import type { Database } from '@trustplane/kernel';
import { sql, type Transaction } from 'kysely';
import type { Principal } from '../auth/principal.js';
import { mediaErrors } from '../errors.js';
import { isPgViolation } from '@trustplane/kernel';
import { ownedBy } from './scope.js';
import type { FolderRow, MediaDatabase, MediaRow, VariantRow, Visibility } from './types.js';

export const MAX_FOLDER_DEPTH = 100;

export interface FolderListQuery {
  parentId?: string;
  recursive: boolean;
  sort: 'name' | 'created_at' | 'updated_at';
  order: 'asc' | 'desc';
}

export type FolderContentItem = ({ type: 'folder' } & FolderRow) | ({ type: 'media' } & MediaRow);

/** Maps the folder table's own constraint violations to domain errors. */
function folderWriteError(error: unknown): unknown {
  if (isPgViolation(error, 'uniqueViolation', 'folders_sibling_name_unique'))
    return mediaErrors.folderNameTaken();
  if (isPgViolation(error, 'checkViolation', 'folders_depth_range'))
    return mediaErrors.folderTooDeep(MAX_FOLDER_DEPTH);
  if (isPgViolation(error, 'checkViolation', 'folders_parent_same_owner'))
    return mediaErrors.folderNotFound();
  if (isPgViolation(error, 'foreignKeyViolation')) return mediaErrors.folderNotFound();
  if (isPgViolation(error, 'checkViolation', 'folders_name_valid')) {
    return mediaErrors.invalidFolderName();
  }
  return error;
}

export function createFolderRepository(database: Database<MediaDatabase>) {
  const db = database.kysely;

  async function findOwned(id: string, principal: Principal): Promise<FolderRow | undefined> {
    return db
      .selectFrom('folders')
      .selectAll()
      .where('id', '=', id)
      .where(ownedBy('folders', principal))
      .executeTakeFirst();
  }

  return {
    findOwned,

    async create(
      principal: Principal,
      input: { id: string; name: string; parentId: string | null; visibility: Visibility },
    ): Promise<FolderRow> {
      try {
        return await db
          .insertInto('folders')
          .values({
            id: input.id,
            owner_id: principal.accountId,
            org_id: principal.orgId,
            parent_id: input.parentId,
            name: input.name,
            visibility: input.visibility,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (error) {
        throw folderWriteError(error);
      }
    },

    async list(principal: Principal, query: FolderListQuery): Promise<FolderRow[]> {
      const direction = query.order === 'asc' ? sql`ASC` : sql`DESC`;
      const order = sql`${sql.ref(`folders.${query.sort}`)} ${direction}, folders.id ${direction}`;
      if (!query.recursive) {
        let base = db.selectFrom('folders').selectAll().where(ownedBy('folders', principal));
        base =
          query.parentId === undefined
            ? base.where('parent_id', 'is', null)
            : base.where('parent_id', '=', query.parentId);
        return base.orderBy(order).execute();
      }
      // The whole subtree under the parent (or every folder of the owner when listing from the roots).
      const result = await sql<FolderRow>`
        WITH RECURSIVE subtree AS (
          SELECT * FROM folders
           WHERE ${ownedBy('folders', principal)}
             AND ${query.parentId === undefined ? sql`parent_id IS NULL` : sql`parent_id = ${query.parentId}`}
          UNION ALL
          SELECT folders.* FROM folders JOIN subtree ON folders.parent_id = subtree.id
        )
        SELECT * FROM subtree AS folders ORDER BY ${order}`.execute(db);
      return result.rows;
    },

    /**
     * Renames and/or moves a folder. The triggers recompute its path and depth and rewrite every
     * descendant's in the same transaction. Moving under one's own subtree is refused; a move that
     * would push a descendant past depth 100 fails on the depth CHECK.
     */
    async update(
      id: string,
      principal: Principal,
      change: { name?: string; parentId?: string | null },
    ): Promise<FolderRow | undefined> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await database.transaction(async (trx) => {
            const folder = await trx
              .selectFrom('folders')
              .selectAll()
              .where('id', '=', id)
              .where(ownedBy('folders', principal))
              .forUpdate()
              .executeTakeFirst();
            if (!folder) return undefined;
            if (change.name !== undefined && change.name !== folder.name && folder.parent_id === null) {
              throw mediaErrors.rootFolderImmutable();
            }
            if (change.parentId !== undefined && change.parentId !== null) {
              if (change.parentId === id) throw mediaErrors.folderCycle();
              // Lock the new parent, then look for it inside the moved subtree.
              const parent = await trx
                .selectFrom('folders')
                .select('id')
                .where('id', '=', change.parentId)
                .where(ownedBy('folders', principal))
                .forUpdate()
                .executeTakeFirst();
              if (!parent) throw mediaErrors.folderNotFound();
              const inside = await sql<{ id: string }>`
                WITH RECURSIVE subtree AS (
                  SELECT id FROM folders WHERE parent_id = ${id}
                  UNION ALL
                  SELECT folders.id FROM folders JOIN subtree ON folders.parent_id = subtree.id
                )
                SELECT id FROM subtree WHERE id = ${change.parentId}`.execute(trx);
              if (inside.rows.length > 0) throw mediaErrors.folderCycle();
            }
            const set: { name?: string; parent_id?: string | null } = {};
            if (change.name !== undefined) set.name = change.name;
            if (change.parentId !== undefined) set.parent_id = change.parentId;
            return trx
              .updateTable('folders')
              .set({ ...set, updated_at: sql`now()` })
              .where('id', '=', id)
              .returningAll()
              .executeTakeFirstOrThrow();
          });
        } catch (error) {
          // Two crossing moves lock the same pair in opposite order: PostgreSQL aborts one; retry it.
          if (attempt < 3 && isPgViolation(error, 'deadlockDetected')) continue;
          throw folderWriteError(error);
        }
      }
    },

    /** Subfolders first, then media, each by name; one page over both. */
    async contents(
      folderId: string,
      page: number,
      perPage: number,
    ): Promise<{ items: FolderContentItem[]; total: number; folders: number; media: number }> {
      const [folderCount, mediaCount] = await Promise.all([
        db
          .selectFrom('folders')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('parent_id', '=', folderId)
          .executeTakeFirstOrThrow(),
        db
          .selectFrom('media')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('folder_id', '=', folderId)
          .executeTakeFirstOrThrow(),
      ]);
      const folders = Number(folderCount.n);
      const media = Number(mediaCount.n);
      const offset = (page - 1) * perPage;
      const items: FolderContentItem[] = [];
      if (offset < folders) {
        const rows = await db
          .selectFrom('folders')
          .selectAll()
          .where('parent_id', '=', folderId)
          .orderBy('name')
          .orderBy('id')
          .limit(perPage)
          .offset(offset)
          .execute();
        items.push(...rows.map((row) => ({ type: 'folder' as const, ...row })));
      }
      const remaining = perPage - items.length;
      if (remaining > 0) {
        const rows = await db
          .selectFrom('media')
          .selectAll()
          .where('folder_id', '=', folderId)
          .orderBy('original_name')
          .orderBy('id')
          .limit(remaining)
          .offset(Math.max(0, offset - folders))
          .execute();
        items.push(...rows.map((row) => ({ type: 'media' as const, ...row })));
      }
      return { items, total: folders + media, folders, media };
    },

    /**
     * Deletes a folder. Without `force` it must be empty (412). With `force` the subtree's rows are
     * locked, its media rows deleted with their quota released, then the folders; the caller removes
     * the returned blobs afterwards, so no row ever points at a missing file.
     */
    /** `inTransaction` runs before the commit (the blobs' deletion job is sent there). */
    async delete(
      id: string,
      principal: Principal,
      force: boolean,
      inTransaction?: (
        trx: Transaction<MediaDatabase>,
        media: MediaRow[],
        variants: VariantRow[],
      ) => Promise<void>,
    ): Promise<{ folders: number; media: MediaRow[]; variants: VariantRow[] } | undefined> {
      return database.transaction(async (trx) => {
        const folder = await trx
          .selectFrom('folders')
          .select('id')
          .where('id', '=', id)
          .where(ownedBy('folders', principal))
          .forUpdate()
          .executeTakeFirst();
        if (!folder) return undefined;
        const subtree = await sql<{ id: string }>`
          WITH RECURSIVE subtree AS (
            SELECT id FROM folders WHERE id = ${id}
            UNION ALL
            SELECT folders.id FROM folders JOIN subtree ON folders.parent_id = subtree.id
          )
          SELECT folders.id FROM folders JOIN subtree USING (id) FOR UPDATE OF folders`.execute(trx);
        const folderIds = subtree.rows.map((row) => row.id);
        const media = await trx
          .selectFrom('media')
          .selectAll()
          .where('folder_id', 'in', folderIds)
          .forUpdate()
          .execute();
        if (!force && (folderIds.length > 1 || media.length > 0)) {
          throw mediaErrors.folderNotEmpty(folderIds.length - 1, media.length);
        }
        const mediaIds = media.map((row) => row.id);
        const variants =
          mediaIds.length > 0
            ? await trx.selectFrom('media_variants').selectAll().where('media_id', 'in', mediaIds).execute()
            : [];
        if (mediaIds.length > 0) {
          await trx.deleteFrom('media').where('id', 'in', mediaIds).execute();
          const freedByOwner = new Map<string, number>();
          for (const row of media)
            freedByOwner.set(row.owner_id, (freedByOwner.get(row.owner_id) ?? 0) + row.size_bytes);
          for (const [owner, freed] of freedByOwner) {
            await trx
              .updateTable('storage_usage')
              .set({ used_bytes: sql`greatest(used_bytes - ${freed}, 0)`, updated_at: sql`now()` })
              .where('owner_id', '=', owner)
              .execute();
          }
        }
        // One statement for the whole subtree: the parent FK is checked at its end.
        await trx.deleteFrom('folders').where('id', 'in', folderIds).execute();
        await inTransaction?.(trx, media, variants);
        return { folders: folderIds.length, media, variants };
      });
    },
  };
}

export type FolderRepository = ReturnType<typeof createFolderRepository>;
