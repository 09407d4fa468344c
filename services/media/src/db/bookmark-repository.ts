import type { Database } from '@trustplane/kernel';
import { sql } from 'kysely';
import type { Principal } from '../auth/principal.js';
import { readableBy } from './scope.js';
import type { MediaDatabase, MediaRow } from './types.js';

export type StarredItem = MediaRow & { starred_at: Date; notes: string | null };
export type RecentItem = MediaRow & { accessed_at: Date; access_type: string };

/** Stars and recent-access history: per-user rows that only ever show media the user can still read. */
export function createBookmarkRepository(database: Database<MediaDatabase>) {
  const db = database.kysely;
  return {
    async star(ownerId: string, mediaId: string, notes: string | null) {
      return db
        .insertInto('starred_media')
        .values({ owner_id: ownerId, media_id: mediaId, notes })
        .onConflict((oc) =>
          oc
            .columns(['owner_id', 'media_id'])
            .doUpdateSet({ notes: sql`excluded.notes`, starred_at: sql`now()` }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    async unstar(ownerId: string, mediaId: string): Promise<boolean> {
      const row = await db
        .deleteFrom('starred_media')
        .where('owner_id', '=', ownerId)
        .where('media_id', '=', mediaId)
        .returning('media_id')
        .executeTakeFirst();
      return row !== undefined;
    },

    /** Flips the star in one transaction; the row lock keeps two toggles from both inserting. */
    async toggle(ownerId: string, mediaId: string): Promise<boolean> {
      return database.transaction(async (trx) => {
        const removed = await trx
          .deleteFrom('starred_media')
          .where('owner_id', '=', ownerId)
          .where('media_id', '=', mediaId)
          .returning('media_id')
          .executeTakeFirst();
        if (removed) return false;
        await trx
          .insertInto('starred_media')
          .values({ owner_id: ownerId, media_id: mediaId, notes: null })
          .onConflict((oc) => oc.columns(['owner_id', 'media_id']).doNothing())
          .execute();
        return true;
      });
    },

    async starredAmong(ownerId: string, mediaIds: string[]): Promise<Set<string>> {
      if (mediaIds.length === 0) return new Set();
      const rows = await db
        .selectFrom('starred_media')
        .select('media_id')
        .where('owner_id', '=', ownerId)
        .where('media_id', 'in', mediaIds)
        .execute();
      return new Set(rows.map((row) => row.media_id));
    },

    async listStarred(principal: Principal, page: number, perPage: number) {
      const base = db
        .selectFrom('starred_media')
        .innerJoin('media', 'media.id', 'starred_media.media_id')
        .where('starred_media.owner_id', '=', principal.accountId)
        .where(readableBy(principal));
      const { total } = await base
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .executeTakeFirstOrThrow();
      const items = (await base
        .selectAll('media')
        .select(['starred_media.starred_at', 'starred_media.notes'])
        .orderBy('starred_media.starred_at', 'desc')
        .orderBy('media.id', 'desc')
        .limit(perPage)
        .offset((page - 1) * perPage)
        .execute()) as StarredItem[];
      return { items, total: Number(total) };
    },

    async track(ownerId: string, mediaId: string, accessType: string) {
      return db
        .insertInto('recent_access')
        .values({
          owner_id: ownerId,
          media_id: mediaId,
          access_type: accessType,
          accessed_at: sql`clock_timestamp()`,
        })
        .onConflict((oc) =>
          oc
            .columns(['owner_id', 'media_id'])
            .doUpdateSet({ access_type: sql`excluded.access_type`, accessed_at: sql`clock_timestamp()` }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    async listRecent(principal: Principal, limit: number): Promise<RecentItem[]> {
      return (await db
        .selectFrom('recent_access')
        .innerJoin('media', 'media.id', 'recent_access.media_id')
        .where('recent_access.owner_id', '=', principal.accountId)
        .where(readableBy(principal))
        .selectAll('media')
        .select(['recent_access.accessed_at', 'recent_access.access_type'])
        .orderBy('recent_access.accessed_at', 'desc')
        .orderBy('media.id', 'desc')
        .limit(limit)
        .execute()) as RecentItem[];
    },

    async clearRecent(ownerId: string): Promise<number> {
      const result = await db.deleteFrom('recent_access').where('owner_id', '=', ownerId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type BookmarkRepository = ReturnType<typeof createBookmarkRepository>;
