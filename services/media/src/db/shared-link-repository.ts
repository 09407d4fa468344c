import type { Database } from '@trustplane/kernel';
import { sql } from 'kysely';
import type { MediaDatabase, MediaRow, SharedLinkRow } from './types.js';

export type NewSharedLink = Omit<SharedLinkRow, 'download_count' | 'created_at'>;

export function createSharedLinkRepository(database: Database<MediaDatabase>) {
  const db = database.kysely;
  return {
    async insert(row: NewSharedLink): Promise<SharedLinkRow> {
      return db.insertInto('shared_links').values(row).returningAll().executeTakeFirstOrThrow();
    },

    async findByTokenHash(tokenHash: string): Promise<{ link: SharedLinkRow; media: MediaRow } | undefined> {
      const link = await db
        .selectFrom('shared_links')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (!link) return undefined;
      const media = await db
        .selectFrom('media')
        .selectAll()
        .where('id', '=', link.media_id)
        .executeTakeFirst();
      return media ? { link, media } : undefined;
    },

    /**
     * Counts one download unless the cap is reached, in a single statement: concurrent accessors
     * serialize on the row, and each re-checks the cap against the committed count.
     */
    async claimDownload(id: string): Promise<boolean> {
      const row = await db
        .updateTable('shared_links')
        .set({ download_count: sql`download_count + 1` })
        .where('id', '=', id)
        .where((eb) =>
          eb.or([eb('max_downloads', 'is', null), eb('download_count', '<', eb.ref('max_downloads'))]),
        )
        .returning('id')
        .executeTakeFirst();
      return row !== undefined;
    },

    /** Replaces a legacy sha-256 hash with bcrypt, only if nobody upgraded it in between. */
    async upgradePasswordHash(id: string, from: string, to: string): Promise<void> {
      await db
        .updateTable('shared_links')
        .set({ password_hash: to })
        .where('id', '=', id)
        .where('password_hash', '=', from)
        .execute();
    },

    async listByCreator(
      createdBy: string,
      orgId: string | null,
      page: number,
      perPage: number,
    ): Promise<{ items: SharedLinkRow[]; total: number }> {
      const base = db
        .selectFrom('shared_links')
        .where('created_by', '=', createdBy)
        .where(sql<boolean>`org_id IS NOT DISTINCT FROM ${orgId}`);
      const { total } = await base
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .executeTakeFirstOrThrow();
      const items = await base
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(perPage)
        .offset((page - 1) * perPage)
        .execute();
      return { items, total: Number(total) };
    },

    async deleteByCreator(id: string, createdBy: string, orgId: string | null): Promise<boolean> {
      const row = await db
        .deleteFrom('shared_links')
        .where('id', '=', id)
        .where('created_by', '=', createdBy)
        .where(sql<boolean>`org_id IS NOT DISTINCT FROM ${orgId}`)
        .returning('id')
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}

export type SharedLinkRepository = ReturnType<typeof createSharedLinkRepository>;
