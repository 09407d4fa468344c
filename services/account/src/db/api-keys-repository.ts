import type { StoredApiKey } from '@trustplane/kernel';
import { type Kysely, sql } from 'kysely';
import type { AccountDB, ApiKeyRow } from './types.js';

/** An API key with what its service account allows, as one lookup returns it. */
export interface ServiceKeyCredential {
  id: string;
  permissions: string[];
  account_id: string;
  organization_id: string;
  status: 'active' | 'paused' | 'archived';
  capabilities: string[];
  rate_limit_per_minute: number;
}

export function createApiKeyRepository(db: Kysely<AccountDB>) {
  return {
    insert(row: {
      id: string;
      serviceAccountId: string;
      name: string;
      keyPrefix: string;
      keyHash: string;
      permissions: string[];
      expiresAt: Date | null;
    }): Promise<ApiKeyRow> {
      return db
        .insertInto('api_keys')
        .values({
          id: row.id,
          service_account_id: row.serviceAccountId,
          name: row.name,
          key_prefix: row.keyPrefix,
          key_hash: row.keyHash,
          permissions: row.permissions,
          expires_at: row.expiresAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    find(id: string): Promise<ApiKeyRow | undefined> {
      return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** A page of the service account's keys, newest first. */
    async list(serviceAccountId: string, page: number, perPage: number) {
      const { total } = await db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .where('service_account_id', '=', serviceAccountId)
        .executeTakeFirstOrThrow();
      const rows = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('service_account_id', '=', serviceAccountId)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(perPage)
        .offset((page - 1) * perPage)
        .execute();
      return { rows, total: Number(total) };
    },

    async revoke(id: string, reason: string | null): Promise<void> {
      await db
        .updateTable('api_keys')
        .set({ revoked_at: new Date(), revoked_reason: reason })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },

    /** Revokes every live key of the service account; how many. */
    async revokeAllOf(serviceAccountId: string, reason: string): Promise<number> {
      const rows = await db
        .updateTable('api_keys')
        .set({ revoked_at: new Date(), revoked_reason: reason })
        .where('service_account_id', '=', serviceAccountId)
        .where('revoked_at', 'is', null)
        .returning('id')
        .execute();
      return rows.length;
    },

    async delete(id: string): Promise<void> {
      await db.deleteFrom('api_keys').where('id', '=', id).execute();
    },

    /** Keys with this display prefix (indexed), revoked and expired ones included: the authenticator refuses those. */
    async findByPrefix(prefix: string): Promise<StoredApiKey<ServiceKeyCredential>[]> {
      const rows = await db
        .selectFrom('api_keys as k')
        .innerJoin('service_accounts as s', 's.account_id', 'k.service_account_id')
        .select([
          'k.id',
          'k.key_hash',
          'k.permissions',
          'k.expires_at',
          'k.revoked_at',
          's.account_id',
          's.organization_id',
          's.status',
          's.capabilities',
          's.rate_limit_per_minute',
        ])
        .where('k.key_prefix', '=', prefix)
        .execute();
      return rows.map(({ key_hash, expires_at, revoked_at, ...record }) => ({
        id: record.id,
        hash: key_hash,
        revokedAt: revoked_at,
        expiresAt: expires_at,
        record,
      }));
    },

    /** Stamps last use on the key and its service account; a key stamped within the minute is left alone. */
    async touch(id: string, at: Date): Promise<void> {
      // One statement for both stamps, conditional so several processes add no more writes.
      await sql`
        WITH used AS (
          UPDATE api_keys SET last_used_at = ${at}
           WHERE id = ${id}
             AND (last_used_at IS NULL OR last_used_at <= ${at}::timestamptz - interval '1 minute')
          RETURNING service_account_id
        )
        UPDATE service_accounts SET last_used_at = ${at}
         WHERE account_id IN (SELECT service_account_id FROM used)`.execute(db);
    },
  };
}

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>;
