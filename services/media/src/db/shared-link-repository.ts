import type { Database } from '@trustplane/kernel';
import { sql } from 'kysely';
import type { Principal } from '../auth/principal.js';
import { ownedBy, readableBy } from './scope.js';
import type { MediaDatabase, MediaRow, SharedLinkRow } from './types.js';

/** A link's creator as they were when they made it: their account in the organization they acted for. */
function creatorOf(link: SharedLinkRow): Principal {
  return { accountId: link.created_by, orgId: link.org_id, permissions: new Set(), principalType: 'human' };
}

export type NewSharedLink = Omit<SharedLinkRow, 'download_count' | 'created_at'>;

export function createSharedLinkRepository(database: Database<MediaDatabase>) {
  const db = database.kysely;
  return {
    async insert(row: NewSharedLink): Promise<SharedLinkRow> {
      return db.insertInto('shared_links').values(row).returningAll().executeTakeFirstOrThrow();
    },

    /**
     * The link and its media, with whether the link's creator may still read that media by the
     * same rule as any read (owner in the same org, or an `organization`/`public` media of the
     * creator's org): a link grants no more than its creator still has.
     */
    async findByTokenHash(
      tokenHash: string,
    ): Promise<{ link: SharedLinkRow; media: MediaRow; creatorCanRead: boolean } | undefined> {
      const link = await db
        .selectFrom('shared_links')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (!link) return undefined;
      const media = await db
        .selectFrom('media')
        .selectAll()
        .select(readableBy(creatorOf(link)).as('creator_can_read'))
        .where('id', '=', link.media_id)
        .executeTakeFirst();
      if (!media) return undefined;
      const { creator_can_read: creatorCanRead, ...row } = media;
      return { link, media: row as MediaRow, creatorCanRead: creatorCanRead === true };
    },

    /** Every link to a media the principal owns, whoever created it (null when not theirs). */
    async listForOwnedMedia(
      mediaId: string,
      owner: Principal,
      page: number,
      perPage: number,
    ): Promise<{ items: SharedLinkRow[]; total: number } | undefined> {
      const media = await db
        .selectFrom('media')
        .select('id')
        .where('id', '=', mediaId)
        .where(ownedBy('media', owner))
        .executeTakeFirst();
      if (!media) return undefined;
      const base = db.selectFrom('shared_links').where('media_id', '=', mediaId);
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

    /** Deletes a link made by the principal, or any link to media the principal owns. */
    async deleteByCreatorOrOwner(id: string, principal: Principal): Promise<boolean> {
      const row = await db
        .deleteFrom('shared_links')
        .where('id', '=', id)
        .where((eb) =>
          eb.or([
            eb.and([
              eb('created_by', '=', principal.accountId),
              sql<boolean>`shared_links.org_id IS NOT DISTINCT FROM ${principal.orgId}`,
            ]),
            eb.exists(
              eb
                .selectFrom('media')
                .select('media.id')
                .whereRef('media.id', '=', 'shared_links.media_id')
                .where(ownedBy('media', principal)),
            ),
          ]),
        )
        .returning('id')
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}

export type SharedLinkRepository = ReturnType<typeof createSharedLinkRepository>;
