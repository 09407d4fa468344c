import type { StoredApiKey } from '@trustplane/kernel';
import type { Kysely, Selectable } from 'kysely';
import type { ApiKeyTable, VerifactDatabase } from './tables.js';

export type ApiKeyRow = Selectable<ApiKeyTable>;

export function createApiKeyRepository(db: Kysely<VerifactDatabase>) {
  return {
    async insert(row: {
      id: string;
      tenantId: string;
      name: string | null;
      keyHash: string;
      displayPrefix: string;
      scopes: string[];
      dailyLimit: number;
    }): Promise<ApiKeyRow> {
      return db
        .insertInto('api_keys')
        .values({
          id: row.id,
          tenant_id: row.tenantId,
          name: row.name,
          key_hash: row.keyHash,
          display_prefix: row.displayPrefix,
          scopes: row.scopes,
          daily_limit: row.dailyLimit,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /** Keys with this display prefix (indexed), revoked ones included: the authenticator refuses those. */
    async findByDisplayPrefix(prefix: string): Promise<StoredApiKey<ApiKeyRow>[]> {
      const rows = await db.selectFrom('api_keys').selectAll().where('display_prefix', '=', prefix).execute();
      return rows.map((row) => ({ id: row.id, hash: row.key_hash, revokedAt: row.revoked_at, record: row }));
    },
    list(tenantId?: string): Promise<ApiKeyRow[]> {
      let query = db.selectFrom('api_keys').selectAll().orderBy('created_at');
      if (tenantId) query = query.where('tenant_id', '=', tenantId);
      return query.execute();
    },
    /** Revokes by id or display prefix; returns the ids revoked (several keys may share a prefix: none then). */
    async revoke(idOrPrefix: string): Promise<string[]> {
      return db.transaction().execute(async (trx) => {
        const matches = await trx
          .selectFrom('api_keys')
          .select('id')
          .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('display_prefix', '=', idOrPrefix)]))
          .where('revoked_at', 'is', null)
          .forUpdate()
          .execute();
        if (matches.length !== 1) return [];
        await trx
          .updateTable('api_keys')
          .set({ revoked_at: new Date() })
          .where('id', '=', matches[0]!.id)
          .execute();
        return [matches[0]!.id];
      });
    },
  };
}

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>;
