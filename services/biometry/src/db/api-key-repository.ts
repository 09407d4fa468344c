import type { Kysely } from 'kysely';
import type { BiometryDatabase } from './tables.js';

export interface ApiKeyRecord {
  id: string;
  name: string;
  displayPrefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export function createApiKeyRepository(db: Kysely<BiometryDatabase>) {
  return {
    async insert(row: { id: string; name: string; keyHash: string; displayPrefix: string }): Promise<void> {
      await db
        .insertInto('api_keys')
        .values({ id: row.id, name: row.name, key_hash: row.keyHash, display_prefix: row.displayPrefix })
        .execute();
    },
    async findActiveByHash(hash: string): Promise<{ id: string; keyHash: string } | undefined> {
      const row = await db
        .selectFrom('api_keys')
        .select(['id', 'key_hash'])
        .where('key_hash', '=', hash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return row ? { id: row.id, keyHash: row.key_hash } : undefined;
    },
    async list(): Promise<ApiKeyRecord[]> {
      const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at').execute();
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        displayPrefix: row.display_prefix,
        createdAt: row.created_at,
        revokedAt: row.revoked_at,
      }));
    },
    /** Revokes by id or display prefix; returns the ids revoked. */
    async revoke(idOrPrefix: string): Promise<string[]> {
      const rows = await db
        .updateTable('api_keys')
        .set({ revoked_at: new Date() })
        .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('display_prefix', '=', idOrPrefix)]))
        .where('revoked_at', 'is', null)
        .returning('id')
        .execute();
      return rows.map((row) => row.id);
    },
  };
}

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>;
