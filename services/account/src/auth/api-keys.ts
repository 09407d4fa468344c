import { ApiKeyAuthenticator } from '@trustplane/kernel';
import type { Logger } from 'pino';
import type { ApiKeyRepository, ServiceKeyCredential } from '../db/api-keys-repository.js';

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
export function createServiceKeyAuthenticator(apiKeys: ApiKeyRepository, logger: Logger) {
  return new ApiKeyAuthenticator<ServiceKeyCredential>({
    store: {
      findByPrefix: (prefix) => apiKeys.findByPrefix(prefix),
      touch: (key, at) => apiKeys.touch(key.id, at),
    },
    acceptsPrefix: (prefix) => KEY_PREFIX.test(prefix),
    displayChars: API_KEY_DISPLAY_CHARS,
    onTouchError: (error, keyId) => logger.warn({ err: error, keyId }, 'api key last use not recorded'),
  });
}

export type ServiceKeyAuthenticator = ReturnType<typeof createServiceKeyAuthenticator>;
