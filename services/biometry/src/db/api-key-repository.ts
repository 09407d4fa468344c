import type { StoredApiKey } from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import type { BiometryDatabase } from './tables.js';

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
          .set({ callback_secret_sealed: sealed })
          .where('id', '=', matches[0]!.id)
          .execute();
        return [matches[0]!.id];
      });
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
