import { randomUUID } from 'node:crypto';
import type { StoredApiKey } from '@trustplane/kernel';
import type { Kysely, Selectable } from 'kysely';
import type { ApiKeyTable, Environment, KeyType, KycDatabase } from './tables.js';

export type ApiKeyRow = Selectable<ApiKeyTable>;

/** `last_used_at` moves at most this often (the kernel authenticator's interval). */
const LAST_USED_RESOLUTION_MS = 60_000;

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
    /** Secret keys whose display prefix is `prefix` (indexed), revoked ones included: the caller refuses those. */
    async findSecretByPrefix(prefix: string): Promise<StoredApiKey<ApiKeyRow>[]> {
      const rows = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('key_prefix', '=', prefix)
        .where('key_type', '=', 'secret')
        .execute();
      return rows.map((row) => ({ id: row.id, hash: row.key_hash, revokedAt: row.revoked_at, record: row }));
    },
    /** Stamps `last_used_at`, unless another process did within the last minute. */
    async touchLastUsed(keyId: string, at: Date): Promise<void> {
      await db
        .updateTable('api_keys')
        .set({ last_used_at: at })
        .where('id', '=', keyId)
        .where((eb) =>
          eb.or([
            eb('last_used_at', 'is', null),
            eb('last_used_at', '<=', new Date(at.getTime() - LAST_USED_RESOLUTION_MS)),
          ]),
        )
        .execute();
    },
  };
}

export type ApiKeysRepository = ReturnType<typeof createApiKeysRepository>;
