import { hashApiKey, mintApiKey } from '@trustplane/kernel';
import type { ApiKeyRow, ApiKeysRepository } from '../db/api-keys-repository.js';
import type { Environment } from '../db/tables.js';
import { errors } from '../errors.js';

export interface ApiKeySummary {
  id: string;
  keyType: 'publishable' | 'secret';
  environment: Environment;
  keyPrefix: string;
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** Characters of the raw key kept for display (`sk_live_2fce…`). */
const KEY_PREFIX_LENGTH = 16;
const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function toApiKeySummary(row: ApiKeyRow): ApiKeySummary {
  return {
    id: row.id,
    keyType: row.key_type,
    environment: row.environment,
    keyPrefix: row.key_prefix,
    label: row.label,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at ? row.last_used_at.toISOString() : null,
    revokedAt: row.revoked_at ? row.revoked_at.toISOString() : null,
  };
}

/** Tenant API keys: pk/sk pairs per environment, SHA-256 at rest, soft revocation. */
export function createApiKeys(repository: ApiKeysRepository) {
  return {
    async mintPair(input: {
      organizationId: string;
      environment: Environment;
      label?: string;
      createdBy: string;
    }) {
      const publishable = mintApiKey(`pk_${input.environment}`);
      const secret = mintApiKey(`sk_${input.environment}`);
      const rows = await repository.insertPair({
        organizationId: input.organizationId,
        environment: input.environment,
        label: input.label ?? null,
        createdBy: input.createdBy,
        keys: [
          {
            keyType: 'publishable',
            keyPrefix: publishable.key.slice(0, KEY_PREFIX_LENGTH),
            keyHash: publishable.hash,
          },
          { keyType: 'secret', keyPrefix: secret.key.slice(0, KEY_PREFIX_LENGTH), keyHash: secret.hash },
        ],
      });
      const byType = (type: string) => rows.find((row) => row.key_type === type) as ApiKeyRow;
      return {
        publishable: { raw: publishable.key, summary: toApiKeySummary(byType('publishable')) },
        secret: { raw: secret.key, summary: toApiKeySummary(byType('secret')) },
      };
    },

    async list(organizationId: string): Promise<ApiKeySummary[]> {
      return (await repository.listForOrganization(organizationId)).map(toApiKeySummary);
    },

    async revoke(organizationId: string, keyId: string): Promise<ApiKeySummary> {
      const row = await repository.revoke(organizationId, keyId);
      if (!row) throw errors.API_KEY_NOT_FOUND();
      return toApiKeySummary(row);
    },

    /**
     * The secret key in an `Authorization` header. Looked up by its SHA-256 (a unique index:
     * the comparison happens on the digest, never on the raw key), revoked keys excluded.
     */
    async authenticateSecret(authorization: string | undefined): Promise<ApiKeyRow> {
      if (!authorization || authorization.trim() === '') throw errors.API_KEY_MISSING();
      const match = BEARER.exec(authorization);
      if (!match) throw errors.API_KEY_INVALID('Authorization must be `Bearer sk_<env>_…`');
      const raw = match[1] as string;
      if (raw.startsWith('pk_')) {
        throw errors.API_KEY_INVALID('Publishable keys cannot create sessions; use the secret key (sk_…)');
      }
      if (!/^sk_(test|live)_[0-9A-Za-z]+$/.test(raw)) throw errors.API_KEY_INVALID();
      const row = await repository.useActive(hashApiKey(raw));
      if (row?.key_type !== 'secret') throw errors.API_KEY_INVALID();
      return row;
    },
  };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;
