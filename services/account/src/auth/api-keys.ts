import { ApiKeyAuthenticator, type StoredApiKey } from '@trustplane/kernel';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { AccountDB } from '../db/types.js';

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

/** Secret characters in `key_prefix` (`ak_live_Ab3x`), which is also the key's indexed lookup prefix. */
export const API_KEY_DISPLAY_CHARS = 4;
/** `ak_<env>`, whatever `ACCOUNT_API_KEY_ENV` was when the key was minted (lowercase letters and digits). */
const KEY_PREFIX = /^ak_[a-z0-9]+$/;
/** The longest value looked at; a longer one is refused before any work. */
export const MAX_API_KEY_LENGTH = 200;

/**
 * Service-account API keys on the kernel's authenticator: found by `key_prefix` (indexed), the
 * SHA-256 compared in constant time, revoked or expired keys refused at once. Last use is stamped
 * on the key and its service account asynchronously, at most once a minute.
 */
export function createServiceKeyAuthenticator(db: Kysely<AccountDB>, logger: Logger) {
  return new ApiKeyAuthenticator<ServiceKeyCredential>({
    store: {
      async findByPrefix(prefix): Promise<StoredApiKey<ServiceKeyCredential>[]> {
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
      async touch(key, at) {
        // One statement for both stamps; a key another process stamped within the minute is left alone.
        await sql`
          WITH used AS (
            UPDATE api_keys SET last_used_at = ${at}
             WHERE id = ${key.id}
               AND (last_used_at IS NULL OR last_used_at <= ${at}::timestamptz - interval '1 minute')
            RETURNING service_account_id
          )
          UPDATE service_accounts SET last_used_at = ${at}
           WHERE account_id IN (SELECT service_account_id FROM used)`.execute(db);
      },
    },
    acceptsPrefix: (prefix) => KEY_PREFIX.test(prefix),
    displayChars: API_KEY_DISPLAY_CHARS,
    onTouchError: (error, keyId) => logger.warn({ err: error, keyId }, 'api key last use not recorded'),
  });
}

export type ServiceKeyAuthenticator = ReturnType<typeof createServiceKeyAuthenticator>;
