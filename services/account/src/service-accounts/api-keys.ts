import { randomUUID } from 'node:crypto';
import { mintApiKey } from '@trustplane/kernel';
import { type RequestOrigin, recordAudit } from '../audit/audit-log.js';
import { API_KEY_DISPLAY_CHARS } from '../auth/api-keys.js';
import type { AccountConfig } from '../config.js';
import type { Repositories } from '../db/repositories.js';
import type { ApiKeyRow } from '../db/types.js';
import { errors } from '../errors.js';
import { epoch } from '../identity/access.js';
import { assertGrant } from '../identity/grants.js';
import type { Principal } from '../identity/principal.js';
import { authorizedServiceAccount } from './service-accounts.js';

export function presentApiKey(row: ApiKeyRow) {
  return {
    api_key_id: row.id,
    key_prefix: row.key_prefix,
    name: row.name,
    permissions: row.permissions,
    expires_at: row.expires_at ? epoch(row.expires_at) : null,
    last_used_at: row.last_used_at ? epoch(row.last_used_at) : null,
    created_at: epoch(row.created_at),
    is_revoked: row.revoked_at !== null,
    is_expired: row.expires_at !== null && row.expires_at.getTime() <= Date.now(),
  };
}

export async function listApiKeys(
  repos: Repositories,
  principal: Principal,
  accountId: string,
  page: number,
  perPage: number,
) {
  await authorizedServiceAccount(repos, principal, accountId, 'api_keys:read');
  const { rows, total } = await repos.apiKeys.list(accountId, page, perPage);
  return { items: rows.map(presentApiKey), total };
}

/** Mints `ak_<env>_<base62>`; the plaintext is returned here only, SHA-256 is stored. */
export interface ApiKeyDeps {
  repositories: Repositories;
  config: Pick<AccountConfig, 'apiKeyEnv'>;
}

export async function createApiKey(
  deps: ApiKeyDeps,
  principal: Principal,
  accountId: string,
  input: { name?: string | undefined; permissions: string[]; expires_in_days?: number | undefined },
  origin: RequestOrigin,
) {
  const account = await authorizedServiceAccount(deps.repositories, principal, accountId, 'api_keys:create');
  if (account.status === 'archived') throw errors.VALIDATION('account_id', 'the service account is archived');
  assertGrant({ granter: principal, grant: input.permissions, grantee: 'service', field: 'permissions' });
  const outside = account.capabilities.includes('*')
    ? []
    : input.permissions.filter((permission) => !account.capabilities.includes(permission));
  if (outside.length > 0) {
    throw errors.VALIDATION(
      'permissions',
      `not within the service account's capabilities: ${outside.join(', ')}`,
    );
  }
  const minted = mintApiKey(`ak_${deps.config.apiKeyEnv}`, { displayChars: API_KEY_DISPLAY_CHARS });
  const id = randomUUID();
  const row = await deps.repositories.transaction(async (tx) => {
    const row = await tx.apiKeys.insert({
      id,
      serviceAccountId: accountId,
      name: input.name ?? '',
      keyPrefix: minted.displayPrefix,
      keyHash: minted.hash,
      permissions: [...new Set(input.permissions)],
      expiresAt: input.expires_in_days ? new Date(Date.now() + input.expires_in_days * 86_400_000) : null,
    });
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: account.organization_id,
      action: 'api_key.created',
      targetType: 'api_key',
      targetId: id,
      targetLabel: row.name || minted.displayPrefix,
      metadata: { service_account_id: accountId, key_prefix: minted.displayPrefix },
      origin,
    });
    return row;
  });
  return {
    api_key_id: row.id,
    key: minted.key,
    key_prefix: row.key_prefix,
    name: row.name,
    permissions: row.permissions,
    expires_at: row.expires_at ? epoch(row.expires_at) : null,
    created_at: epoch(row.created_at),
  };
}

async function authorizedApiKey(
  repos: Repositories,
  principal: Principal,
  keyId: string,
  permission: string,
) {
  const key = await repos.apiKeys.find(keyId);
  if (!key) throw errors.NOT_FOUND('API key');
  try {
    const account = await authorizedServiceAccount(repos, principal, key.service_account_id, permission);
    return { key, account };
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) throw errors.NOT_FOUND('API key');
    throw error;
  }
}

export async function revokeApiKey(
  repos: Repositories,
  principal: Principal,
  keyId: string,
  reason: string | undefined,
  origin: RequestOrigin,
) {
  const { key, account } = await authorizedApiKey(repos, principal, keyId, 'api_keys:revoke');
  await repos.transaction(async (tx) => {
    await tx.apiKeys.revoke(keyId, reason ?? null);
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: account.organization_id,
      action: 'api_key.revoked',
      targetType: 'api_key',
      targetId: keyId,
      targetLabel: key.name || key.key_prefix,
      metadata: { reason: reason ?? null, service_account_id: key.service_account_id },
      origin,
    });
  });
}

export async function deleteApiKey(
  repos: Repositories,
  principal: Principal,
  keyId: string,
  origin: RequestOrigin,
) {
  const { key, account } = await authorizedApiKey(repos, principal, keyId, 'api_keys:delete');
  await repos.transaction(async (tx) => {
    await tx.apiKeys.delete(keyId);
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: account.organization_id,
      action: 'api_key.deleted',
      targetType: 'api_key',
      targetId: keyId,
      targetLabel: key.name || key.key_prefix,
      metadata: { service_account_id: key.service_account_id },
      origin,
    });
  });
}
