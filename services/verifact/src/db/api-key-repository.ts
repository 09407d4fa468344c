import { type StoredApiKey, updateSingleActiveKey } from '@trustplane/kernel';
import type { Kysely, Selectable } from 'kysely';
import type { ApiKeyTable, VerifactDatabase } from './tables.js';

export type ApiKeyRow = Selectable<ApiKeyTable>;

const API_KEYS = { table: 'api_keys', prefixColumn: 'display_prefix' };

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
    /** Revokes the one active key with this id or display prefix; returns its id (none or several: []). */
    async revoke(idOrPrefix: string): Promise<string[]> {
      const id = await updateSingleActiveKey(db, API_KEYS, idOrPrefix, { revoked_at: new Date() });
      return id ? [id] : [];
    },
  };
}

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>;
