import type { Kysely, Selectable, Transaction } from 'kysely';
import type { ApiKeyTable, BacklexDatabase } from './tables.js';

export type ApiKeyRow = Selectable<ApiKeyTable>;

/** Org keys in @better-auth/api-key's table; the plugin creates and verifies them, these read and revoke. */
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
    async deleteAllOfOrg(trx: Transaction<BacklexDatabase>, organizationId: string): Promise<void> {
      await trx.deleteFrom('apikey').where('referenceId', '=', organizationId).execute();
    },
  };
}

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>;
