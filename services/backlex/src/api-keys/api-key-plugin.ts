import { createHash, randomBytes } from 'node:crypto';
import { apiKey } from '@better-auth/api-key';

export const API_KEY_PREFIX = 'pak_';
/** `lastUsedAt` (the plugin's `lastRequest`) is written at most once per this interval per key. */
export const LAST_USED_INTERVAL_MS = 60_000;

/**
 * The digest the plugin stores for a key (its `defaultKeyHasher`: sha-256, base64url without
 * padding), computed synchronously.
 */
export function apiKeyDigest(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** Longest `expiresInDays` accepted (the seed sets no maximum; README, "API keys"). */
export const MAX_KEY_DAYS = 3650;

/**
 * Org-owned API keys through `@better-auth/api-key`: `pak_` + 64 hex (32 random bytes), stored as
 * the plugin's sha-256 digest, the first 12 characters kept as `start` for display. The plugin's
 * own per-key limiter is off: keys share the service's 600/min limit with sessions. backlex
 * creates, lists, verifies and deletes keys through `auth.api` from its own routes; scope and
 * `mcpTools` live in the key's metadata.
 */
export function backlexApiKeyPlugin() {
  return apiKey({
    references: 'organization',
    defaultPrefix: API_KEY_PREFIX,
    customKeyGenerator: ({ prefix }) => `${prefix ?? API_KEY_PREFIX}${randomBytes(32).toString('hex')}`,
    startingCharactersConfig: { shouldStore: true, charactersLength: API_KEY_PREFIX.length + 8 },
    keyExpiration: { maxExpiresIn: MAX_KEY_DAYS, minExpiresIn: 1 },
    rateLimit: { enabled: false },
    enableMetadata: true,
    requireName: true,
    maximumNameLength: 60,
  });
}
