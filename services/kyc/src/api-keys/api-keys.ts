import { ApiKeyAuthenticator, bearerToken, mintApiKey } from '@trustplane/kernel';
import type { Logger } from 'pino';
import type { ApiKeyRow } from '../db/api-keys-repository.js';
import type { KycRepositories } from '../db/repositories.js';
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

/**
 * Secret characters kept after `sk_live_` for display (`sk_live_2fce…`, the first 16 characters):
 * also the indexed lookup prefix of a presented key.
 */
const DISPLAY_CHARS = 8;
const SECRET_KEY_PREFIXES = new Set(['sk_test', 'sk_live']);

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
export function createApiKeys(repositories: KycRepositories, logger: Logger) {
  const repository = repositories.apiKeys;
  const secretKeys = new ApiKeyAuthenticator<ApiKeyRow>({
    store: {
      findByPrefix: (prefix) => repository.findSecretByPrefix(prefix),
      touch: (key, at) => repository.touchLastUsed(key.id, at),
    },
    acceptsPrefix: (prefix) => SECRET_KEY_PREFIXES.has(prefix),
    displayChars: DISPLAY_CHARS,
    onTouchError: (error, keyId) => logger.warn({ err: error, keyId }, 'api key last use not recorded'),
  });
  return {
    async mintPair(input: {
      organizationId: string;
      environment: Environment;
      label?: string;
      createdBy: string;
    }) {
      const publishable = mintApiKey(`pk_${input.environment}`, { displayChars: DISPLAY_CHARS });
      const secret = mintApiKey(`sk_${input.environment}`, { displayChars: DISPLAY_CHARS });
      const rows = await repository.insertPair({
        organizationId: input.organizationId,
        environment: input.environment,
        label: input.label ?? null,
        createdBy: input.createdBy,
        keys: [
          { keyType: 'publishable', keyPrefix: publishable.displayPrefix, keyHash: publishable.hash },
          { keyType: 'secret', keyPrefix: secret.displayPrefix, keyHash: secret.hash },
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

    /** Revokes the key and records who did, in one transaction. */
    async revoke(organizationId: string, keyId: string, actorUserId: string): Promise<ApiKeySummary> {
      return repositories.transaction(async (tx) => {
        const row = await tx.apiKeys.revoke(organizationId, keyId);
        if (!row) throw errors.API_KEY_NOT_FOUND();
        const key = toApiKeySummary(row);
        await tx.auditEvents.append({
          organizationId,
          eventType: 'api_key_revoked',
          actorType: 'operator',
          actorUserId,
          payload: { keyId: key.id, keyPrefix: key.keyPrefix, keyType: key.keyType },
        });
        return key;
      });
    },

    /**
     * The secret key in an `Authorization` header: looked up by its display prefix (indexed), its
     * SHA-256 compared in constant time, revoked keys refused at once (kernel `ApiKeyAuthenticator`).
     */
    async authenticateSecret(authorization: string | undefined): Promise<ApiKeyRow> {
      if (!authorization || authorization.trim() === '') throw errors.API_KEY_MISSING();
      const raw = bearerToken(authorization);
      if (raw === undefined) throw errors.API_KEY_INVALID('Authorization must be `Bearer sk_<env>_…`');
      if (raw.startsWith('pk_')) {
        throw errors.API_KEY_INVALID('Publishable keys cannot create sessions; use the secret key (sk_…)');
      }
      const found = await secretKeys.authenticate(raw);
      if (!found) throw errors.API_KEY_INVALID();
      return found.record;
    },

    /** Waits for last-use writes still running (shutdown). */
    drain: () => secretKeys.drain(),
  };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;
