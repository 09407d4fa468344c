import type { Kysely, Selectable, Transaction } from 'kysely';
import type { ApiKeyTable, BacklexDatabase } from './tables.js';

export type ApiKeyRow = Selectable<ApiKeyTable>;

/**
 * Org keys in @better-auth/api-key's table: the plugin creates them; these list, verify (by digest),
 * touch and revoke them.
 */
export function createApiKeyRepository(db: Kysely<BacklexDatabase>) {
  return {
    listOfOrg(organizationId: string): Promise<ApiKeyRow[]> {
      return db
        .selectFrom('apikey')
        .selectAll()
        .where('referenceId', '=', organizationId)
        .orderBy('createdAt', 'desc')
        .orderBy('id')
        .execute();
    },
    /** Deletes one key of the org; undefined when the id is unknown or another org's. */
    deleteOfOrg(
      trx: Transaction<BacklexDatabase>,
      organizationId: string,
      id: string,
    ): Promise<ApiKeyRow | undefined> {
      return trx
        .deleteFrom('apikey')
        .where('referenceId', '=', organizationId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },
    /** The key whose stored digest is `hash` (the plugin's sha-256, base64url). */
    byHash(hash: string): Promise<ApiKeyRow | undefined> {
      return db.selectFrom('apikey').selectAll().where('key', '=', hash).executeTakeFirst();
    },
    /**
     * Sets `lastRequest` (the API's `lastUsedAt`) to `now` unless it was set less than `minAgeMs`
     * ago: one guarded statement, so many processes touching one key write it once per interval.
     */
    async touch(id: string, now: Date, minAgeMs: number): Promise<void> {
      await db
        .updateTable('apikey')
        .set({ lastRequest: now })
        .where('id', '=', id)
        .where((eb) =>
          eb.or([eb('lastRequest', 'is', null), eb('lastRequest', '<', new Date(now.getTime() - minAgeMs))]),
        )
        .execute();
    },
    /** An expired key is deleted when it is presented (as the plugin did), not merely refused. */
    async deleteById(id: string): Promise<void> {
      await db.deleteFrom('apikey').where('id', '=', id).execute();
    },
    async deleteAllOfOrg(trx: Transaction<BacklexDatabase>, organizationId: string): Promise<void> {
      await trx.deleteFrom('apikey').where('referenceId', '=', organizationId).execute();
    },
  };
}

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>;
