import { ApiKeyAuthenticator, bearerToken, mintApiKey } from '@trustplane/kernel';
import type { ApiKeyRepository, ApiKeyRow, ApiKeyWithTenant } from '../db/api-key-repository.js';
import { newId } from '../db/ids.js';
import type { TenantRepository, TenantRow } from '../db/tenant-repository.js';
import { errors } from '../errors.js';
import { isScope, type Scope, SCOPES } from './scopes.js';

/** Who called: the key and its tenant, resolved on every request. */
export interface Caller {
  keyId: string;
  /** `tm_pilot_Ab`: safe to show and log. */
  keyPrefix: string;
  scopes: readonly string[];
  dailyLimit: number;
  tenant: TenantRow;
}

export class KeyInputError extends Error {
  override readonly name = 'KeyInputError';
}

/**
 * `tm_<tier>_` then 2 characters of the secret: the seed's `keyPrefix` example is `tm_pilot_Ab`.
 * Also the indexed lookup prefix of a presented key.
 */
const DISPLAY_CHARS = 2;
/** `tm_` and a tier (`tenants.tier`: a lowercase word). */
const KEY_PREFIX = /^tm_[a-z][a-z0-9]*$/;

export function parseScopes(text: string): Scope[] {
  const scopes = [
    ...new Set(
      text
        .split(',')
        .map((scope) => scope.trim())
        .filter(Boolean),
    ),
  ];
  if (scopes.length === 0) throw new KeyInputError(`--scopes needs at least one of ${SCOPES.join(', ')}`);
  const unknown = scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0) {
    throw new KeyInputError(`unknown scope ${unknown.join(', ')} (known: ${SCOPES.join(', ')})`);
  }
  return scopes as Scope[];
}

export function keyJson(key: ApiKeyRow, tenantCode: string) {
  return {
    id: key.id,
    tenant: tenantCode,
    prefix: key.display_prefix,
    name: key.name,
    scopes: key.scopes,
    dailyLimit: key.daily_limit,
    createdAt: key.created_at.toISOString(),
    revokedAt: key.revoked_at ? key.revoked_at.toISOString() : null,
  };
}

export function createApiKeys(keys: ApiKeyRepository, tenants: TenantRepository) {
  const authenticator = new ApiKeyAuthenticator<ApiKeyWithTenant>({
    store: { findByPrefix: (prefix) => keys.findByDisplayPrefixWithTenant(prefix) },
    acceptsPrefix: (prefix) => KEY_PREFIX.test(prefix),
    displayChars: DISPLAY_CHARS,
  });
  return {
    /** Mints `tm_<tier>_<secret>`; the key is returned once, only its SHA-256 is stored. */
    async create(input: {
      tenantCode: string;
      scopes: string;
      dailyLimit: number;
      name?: string | undefined;
    }): Promise<{ key: string; record: ApiKeyRow; tenant: TenantRow }> {
      const tenant = await tenants.byCode(input.tenantCode);
      if (!tenant) throw new KeyInputError(`no tenant ${input.tenantCode}`);
      const scopes = parseScopes(input.scopes);
      if (!Number.isInteger(input.dailyLimit) || input.dailyLimit < 0) {
        throw new KeyInputError('--daily-limit must be a whole number');
      }
      const name = input.name?.trim() || null;
      if (name && name.length > 200) throw new KeyInputError('--name must be at most 200 characters');
      const minted = mintApiKey(`tm_${tenant.tier}`, { displayChars: DISPLAY_CHARS });
      const record = await keys.insert({
        id: newId('key'),
        tenantId: tenant.id,
        name,
        keyHash: minted.hash,
        displayPrefix: minted.displayPrefix,
        scopes,
        dailyLimit: input.dailyLimit,
      });
      return { key: minted.key, record, tenant };
    },
    async list(tenantCode?: string): Promise<ReturnType<typeof keyJson>[]> {
      const all = await tenants.list();
      const codes = new Map(all.map((tenant) => [tenant.id, tenant.code]));
      let tenantId: string | undefined;
      if (tenantCode) {
        tenantId = all.find((tenant) => tenant.code === tenantCode)?.id;
        if (!tenantId) throw new KeyInputError(`no tenant ${tenantCode}`);
      }
      return (await keys.list(tenantId)).map((key) => keyJson(key, codes.get(key.tenant_id) ?? ''));
    },
    revoke(idOrPrefix: string): Promise<string[]> {
      return keys.revoke(idOrPrefix);
    },
    /** `Authorization: Bearer tm_…` → the caller; 401 when missing, malformed, unknown or revoked. */
    async authenticate(authorization: string | undefined): Promise<Caller> {
      const presented = bearerToken(authorization ?? '');
      if (!presented?.startsWith('tm_')) throw errors.unauthorized();
      const found = await authenticator.authenticate(presented);
      if (!found) throw errors.unauthorized();
      const { tenant, ...key } = found.record;
      return {
        keyId: key.id,
        keyPrefix: key.display_prefix,
        scopes: key.scopes,
        dailyLimit: key.daily_limit,
        tenant,
      };
    },
  };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;
