import { randomUUID } from 'node:crypto';
import { constantTimeEqual, hashApiKey, mintApiKey, ServiceError } from '@trustplane/kernel';
import type { ApiKeyRecord, ApiKeyRepository } from '../db/api-key-repository.js';

export const KEY_PREFIX = 'bio';

export interface AuthenticatedClient {
  clientId: string;
  /** SHA-256 hex of the key: the secret callbacks are signed with (the client can derive it from its key). */
  keyHash: string;
}

export function createServiceKeys(repository: ApiKeyRepository) {
  return {
    async create(name: string): Promise<{ key: string; id: string; prefix: string }> {
      const trimmed = name.trim();
      if (!trimmed || trimmed.length > 200) throw new Error('--name must be 1 to 200 characters');
      const minted = mintApiKey(KEY_PREFIX);
      const id = `key_${randomUUID().replace(/-/g, '')}`;
      await repository.insert({
        id,
        name: trimmed,
        keyHash: minted.hash,
        displayPrefix: minted.displayPrefix,
      });
      return { key: minted.key, id, prefix: minted.displayPrefix };
    },
    list(): Promise<ApiKeyRecord[]> {
      return repository.list();
    },
    revoke(idOrPrefix: string): Promise<string[]> {
      return repository.revoke(idOrPrefix);
    },
    /** Resolves a presented key; 401 `{detail}` when unknown or revoked. */
    async authenticate(presented: string): Promise<AuthenticatedClient> {
      const hash = hashApiKey(presented);
      const found = await repository.findActiveByHash(hash);
      // The lookup is by hash; the final comparison is constant-time all the same.
      if (!found || !constantTimeEqual(found.keyHash, hash)) {
        throw new ServiceError(401, 'invalid_api_key', 'Invalid or revoked API key');
      }
      return { clientId: found.id, keyHash: found.keyHash };
    },
  };
}

export type ServiceKeys = ReturnType<typeof createServiceKeys>;
