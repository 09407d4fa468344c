import { type StoredApiKey, updateSingleActiveKey } from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import type { BiometryDatabase } from './tables.js';

const API_KEYS = { table: 'api_keys', prefixColumn: 'display_prefix' };

export interface ApiKeyRecord {
  id: string;
  name: string;
  displayPrefix: string;
  createdAt: Date;
  revokedAt: Date | null;
  /** False for keys minted before callback secrets were sealed per key (see README). */
  hasCallbackSecret: boolean;
}

export function createApiKeyRepository(db: Kysely<BiometryDatabase>) {
  return {
    async insert(row: {
      id: string;
      name: string;
      keyHash: string;
      displayPrefix: string;
      callbackSecretSealed: string;
    }): Promise<void> {
      await db
        .insertInto('api_keys')
        .values({
          id: row.id,
          name: row.name,
          key_hash: row.keyHash,
          display_prefix: row.displayPrefix,
          callback_secret_sealed: row.callbackSecretSealed,
        })
        .execute();
    },
    /** `undefined`: no such key; `null`: a key without a sealed callback secret. */
    async callbackSecretSealed(id: string): Promise<string | null | undefined> {
      const row = await db
        .selectFrom('api_keys')
        .select('callback_secret_sealed')
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? row.callback_secret_sealed : undefined;
    },
    /** Replaces the sealed callback secret of the one active key matching; returns its id (none or several: []). */
    async setCallbackSecret(idOrPrefix: string, sealed: string): Promise<string[]> {
      const id = await updateSingleActiveKey(db, API_KEYS, idOrPrefix, { callback_secret_sealed: sealed });
      return id ? [id] : [];
    },
    /** Keys with this display prefix (indexed), revoked ones included: the authenticator refuses those. */
    async findByDisplayPrefix(prefix: string): Promise<StoredApiKey<null>[]> {
      const rows = await db
        .selectFrom('api_keys')
        .select(['id', 'key_hash', 'revoked_at'])
        .where('display_prefix', '=', prefix)
        .execute();
      return rows.map((row) => ({ id: row.id, hash: row.key_hash, revokedAt: row.revoked_at, record: null }));
    },
    async list(): Promise<ApiKeyRecord[]> {
      const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at').execute();
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        displayPrefix: row.display_prefix,
        createdAt: row.created_at,
        revokedAt: row.revoked_at,
        hasCallbackSecret: row.callback_secret_sealed !== null,
      }));
    },
    /** Revokes the one active key with this id or display prefix; returns its id (none or several: []). */
    async revoke(idOrPrefix: string): Promise<string[]> {
      const id = await updateSingleActiveKey(db, API_KEYS, idOrPrefix, { revoked_at: new Date() });
      return id ? [id] : [];
    },
  };
}

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>;
