import { type Kysely, sql } from 'kysely';
import type { NotificationDatabase } from './schema.js';

export function createIdempotencyKeyRepository(db: Kysely<NotificationDatabase>) {
  return {
    /**
     * Claims the key for this request, or renews it when the stored one is older than
     * `ttlSeconds`; false while a live claim exists. A concurrent holder's transaction makes this
     * wait for its outcome (the row lock of the upsert).
     */
    async claim(entry: {
      key: string;
      method: string;
      requestHash: string;
      ttlSeconds: number;
    }): Promise<boolean> {
      const claimed = await sql<{ key: string }>`
        INSERT INTO idempotency_keys (key, method, request_hash, response)
        VALUES (${entry.key}, ${entry.method}, ${entry.requestHash}, 'null'::jsonb)
        ON CONFLICT (key) DO UPDATE
          SET method = EXCLUDED.method, request_hash = EXCLUDED.request_hash,
              response = EXCLUDED.response, created_at = now()
          WHERE idempotency_keys.created_at < now() - make_interval(secs => ${entry.ttlSeconds})
        RETURNING key`.execute(db);
      return claimed.rows.length > 0;
    },

    find(key: string): Promise<{ method: string; request_hash: string; response: unknown } | undefined> {
      return db
        .selectFrom('idempotency_keys')
        .select(['method', 'request_hash', 'response'])
        .where('key', '=', key)
        .executeTakeFirst();
    },

    async saveResponse(key: string, response: unknown): Promise<void> {
      await db
        .updateTable('idempotency_keys')
        .set({ response: JSON.stringify(response) })
        .where('key', '=', key)
        .execute();
    },

    async deleteExpired(ttlSeconds: number): Promise<void> {
      await db
        .deleteFrom('idempotency_keys')
        .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${ttlSeconds})`)
        .execute();
    },
  };
}

export type IdempotencyKeyRepository = ReturnType<typeof createIdempotencyKeyRepository>;
