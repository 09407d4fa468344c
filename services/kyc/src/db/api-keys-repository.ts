import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { ApiKeyTable, Environment, KeyType, KycDatabase } from './tables.js';

export type ApiKeyRow = Selectable<ApiKeyTable>;

export interface NewApiKey {
  keyType: KeyType;
  keyPrefix: string;
  keyHash: string;
}

export function createApiKeysRepository(db: Kysely<KycDatabase>) {
  return {
    /** Inserts a publishable + secret pair sharing one `pair_id`. */
    async insertPair(input: {
      organizationId: string;
      environment: Environment;
      label: string | null;
      createdBy: string;
      keys: [NewApiKey, NewApiKey];
    }): Promise<ApiKeyRow[]> {
      const pairId = randomUUID();
      return db
        .insertInto('api_keys')
        .values(
          input.keys.map((key) => ({
            organization_id: input.organizationId,
            pair_id: pairId,
            key_type: key.keyType,
            environment: input.environment,
            key_prefix: key.keyPrefix,
            key_hash: key.keyHash,
            label: input.label,
            created_by: input.createdBy,
          })),
        )
        .returningAll()
        .execute();
    },
    listForOrganization(organizationId: string): Promise<ApiKeyRow[]> {
      return db
        .selectFrom('api_keys')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .orderBy('created_at', 'desc')
        .orderBy('key_type')
        .execute();
    },
    /** Sets `revoked_at` once; undefined when the key is unknown, in another org, or already revoked. */
    revoke(organizationId: string, keyId: string): Promise<ApiKeyRow | undefined> {
      return db
        .updateTable('api_keys')
        .set({ revoked_at: new Date() })
        .where('id', '=', keyId)
        .where('organization_id', '=', organizationId)
        .where('revoked_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
    },
    /** The active key with this hash, stamping `last_used_at`. */
    useActive(keyHash: string): Promise<ApiKeyRow | undefined> {
      return db
        .updateTable('api_keys')
        .set({ last_used_at: new Date() })
        .where('key_hash', '=', keyHash)
        .where('revoked_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
    },
  };
}

export type ApiKeysRepository = ReturnType<typeof createApiKeysRepository>;
