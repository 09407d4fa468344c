import { randomUUID } from 'node:crypto';
import {
  ApiKeyAuthenticator,
  hmacSha256Hex,
  mintApiKey,
  openSecret,
  randomToken,
  sealSecret,
} from '@trustplane/kernel';
import type { ApiKeyRecord, ApiKeyRepository } from '../db/api-key-repository.js';
import { errors } from '../errors.js';

export const KEY_PREFIX = 'bio';
/** Secret characters in the display prefix (`bio_Ab3x`), which is also the key's indexed lookup prefix. */
const DISPLAY_CHARS = 4;
/** Callback signing secrets look like webhook secrets elsewhere (`whsec_…`), never like a key. */
export const CALLBACK_SECRET_PREFIX = 'whsec_';

export interface AuthenticatedClient {
  clientId: string;
}

export interface ServiceKeySecrets {
  /** 32-byte key sealing callback secrets at rest. */
  sealingKey: Buffer;
  /** Secret from which callbacks of keys older than sealed callback secrets are signed. */
  legacyCallbackKey: Buffer;
}

function newCallbackSecret(): string {
  return `${CALLBACK_SECRET_PREFIX}${randomToken(32)}`;
}

export function createServiceKeys(repository: ApiKeyRepository, secrets: ServiceKeySecrets) {
  const keys = new ApiKeyAuthenticator<null>({
    store: { findByPrefix: (prefix) => repository.findByDisplayPrefix(prefix) },
    acceptsPrefix: (prefix) => prefix === KEY_PREFIX,
    displayChars: DISPLAY_CHARS,
  });
  return {
    /** Mints a key and its callback secret; both are returned once, only the hash and the sealed secret stay. */
    async create(name: string): Promise<{ key: string; id: string; prefix: string; callbackSecret: string }> {
      const trimmed = name.trim();
      if (!trimmed || trimmed.length > 200) throw new Error('--name must be 1 to 200 characters');
      const minted = mintApiKey(KEY_PREFIX, { displayChars: DISPLAY_CHARS });
      const id = `key_${randomUUID().replace(/-/g, '')}`;
      const callbackSecret = newCallbackSecret();
      await repository.insert({
        id,
        name: trimmed,
        keyHash: minted.hash,
        displayPrefix: minted.displayPrefix,
        callbackSecretSealed: sealSecret(secrets.sealingKey, callbackSecret),
      });
      return { key: minted.key, id, prefix: minted.displayPrefix, callbackSecret };
    },
    /** Replaces the callback secret of one active key (by id or display prefix); the new one is returned once. */
    async rotateCallbackSecret(idOrPrefix: string): Promise<{ id: string; callbackSecret: string }> {
      const callbackSecret = newCallbackSecret();
      const ids = await repository.setCallbackSecret(
        idOrPrefix,
        sealSecret(secrets.sealingKey, callbackSecret),
      );
      if (ids.length === 0) throw new Error(`no active key matches ${JSON.stringify(idOrPrefix)}`);
      return { id: ids[0] as string, callbackSecret };
    },
    /**
     * The secret a client's callbacks are signed with: its sealed secret, or for a key minted before
     * those existed, one derived from the platform secret and the key id (never from the stored hash).
     */
    async callbackSecret(clientId: string): Promise<string | undefined> {
      const sealed = await repository.callbackSecretSealed(clientId);
      if (sealed === undefined) return undefined;
      if (sealed === null) return hmacSha256Hex(secrets.legacyCallbackKey, `callback:${clientId}`);
      return openSecret(secrets.sealingKey, sealed);
    },
    list(): Promise<ApiKeyRecord[]> {
      return repository.list();
    },
    revoke(idOrPrefix: string): Promise<string[]> {
      return repository.revoke(idOrPrefix);
    },
    /** Resolves a presented key; 401 `{detail}` when unknown or revoked. */
    async authenticate(presented: string): Promise<AuthenticatedClient> {
      const found = await keys.authenticate(presented);
      if (!found) throw errors.invalid_api_key();
      return { clientId: found.id };
    },
  };
}

export type ServiceKeys = ReturnType<typeof createServiceKeys>;
