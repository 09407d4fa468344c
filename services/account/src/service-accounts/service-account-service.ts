import { randomUUID } from 'node:crypto';
import { mintApiKey } from '@trustplane/kernel';
import { type RequestOrigin, recordAudit } from '../audit/audit-log.js';
import { API_KEY_DISPLAY_CHARS } from '../auth/api-keys.js';
import type { AccountConfig } from '../config.js';
import type { Repositories } from '../db/repositories.js';
import type { ServiceAccountRecord } from '../db/service-accounts-repository.js';
import type { ApiKeyRow } from '../db/types.js';
import { errors } from '../errors.js';
import { epoch } from '../identity/access.js';
import { assertGrant, assertGrantWithin, assertNotWidened } from '../identity/grants.js';
import { type Principal, requireOrgPermission } from '../identity/principal.js';
import { activeOrganization } from '../organizations/organizations.js';

/** The seed says the limit is clamped to 1-10000, not refused. */
export const clampRateLimit = (value: number) => Math.min(10_000, Math.max(1, Math.trunc(value)));

export function presentServiceAccount(row: ServiceAccountRecord) {
  return {
    account_id: row.account_id,
    organization_id: row.organization_id,
    display_name: row.display_name,
    description: row.description,
    status: row.status,
    capabilities: row.capabilities,
    allowed_tools: row.allowed_tools,
    rate_limit_per_minute: row.rate_limit_per_minute,
    last_used_at: row.last_used_at ? epoch(row.last_used_at) : null,
    created_at: epoch(row.created_at),
    updated_at: epoch(row.updated_at),
  };
}

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

/**
 * The service account, when the caller may act on it with `permission`: it must belong to the
 * caller's current organization (anything else is 404, existence is not disclosed).
 */
export async function authorizedServiceAccount(
  repos: Repositories,
  principal: Principal,
  accountId: string,
  permission: string,
) {
  const row = await repos.serviceAccounts.find(accountId);
  if (!row || row.organization_id !== principal.orgId) throw errors.NOT_FOUND('Service account');
  requireOrgPermission(principal, row.organization_id, permission);
  return row;
}

export async function listServiceAccounts(
  repos: Repositories,
  principal: Principal,
  filter: { organization_id: string; status?: string | undefined; page: number; perPage: number },
) {
  requireOrgPermission(principal, filter.organization_id, 'service_accounts:read');
  const { rows, total } = await repos.serviceAccounts.list({
    organizationId: filter.organization_id,
    status: filter.status as 'active' | 'paused' | 'archived' | undefined,
    page: filter.page,
    perPage: filter.perPage,
  });
  return { items: rows.map(presentServiceAccount), total };
}

export interface ServiceAccountInput {
  organization_id: string;
  display_name: string;
  description?: string | null | undefined;
  capabilities: string[];
  allowed_tools: string[];
  rate_limit_per_minute?: number | undefined;
}

export async function createServiceAccount(
  repos: Repositories,
  principal: Principal,
  input: ServiceAccountInput,
  origin: RequestOrigin,
) {
  requireOrgPermission(principal, input.organization_id, 'service_accounts:create');
  assertGrant({ granter: principal, grant: input.capabilities, grantee: 'service', field: 'capabilities' });
  await activeOrganization(repos.organizations, input.organization_id);
  const id = randomUUID();
  await repos.transaction(async (tx) => {
    await tx.accounts.insertService({ id, displayName: input.display_name });
    await tx.serviceAccounts.insert({
      accountId: id,
      organizationId: input.organization_id,
      description: input.description ?? null,
      capabilities: [...new Set(input.capabilities)],
      allowedTools: [...new Set(input.allowed_tools)],
      rateLimitPerMinute: clampRateLimit(input.rate_limit_per_minute ?? 60),
    });
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: input.organization_id,
      action: 'service_account.created',
      targetType: 'service_account',
      targetId: id,
      targetLabel: input.display_name,
      origin,
    });
  });
  return presentServiceAccount((await repos.serviceAccounts.find(id))!);
}

export async function getServiceAccount(repos: Repositories, principal: Principal, accountId: string) {
  return presentServiceAccount(
    await authorizedServiceAccount(repos, principal, accountId, 'service_accounts:read'),
  );
}

export async function updateServiceAccount(
  repos: Repositories,
  principal: Principal,
  accountId: string,
  patch: Partial<ServiceAccountInput> & { organization_id: string },
  origin: RequestOrigin,
) {
  const current = await authorizedServiceAccount(repos, principal, accountId, 'service_accounts:update');
  assertGrantWithin({
    granter: principal,
    grant: current.capabilities,
    grantee: 'service',
    field: 'account_id',
    target: 'the service account',
  });
  if (patch.capabilities !== undefined) {
    if (principal.accountId === accountId) {
      assertNotWidened(current.capabilities, patch.capabilities, 'capabilities');
    }
    assertGrant({ granter: principal, grant: patch.capabilities, grantee: 'service', field: 'capabilities' });
  }
  if (patch.organization_id !== current.organization_id) {
    throw errors.VALIDATION('organization_id', "does not match the service account's organization");
  }
  if (current.status === 'archived') throw errors.VALIDATION('account_id', 'the service account is archived');
  await repos.transaction(async (tx) => {
    await tx.accounts.update(accountId, { display_name: patch.display_name });
    const serviceChanges = {
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.capabilities !== undefined ? { capabilities: [...new Set(patch.capabilities)] } : {}),
      ...(patch.allowed_tools !== undefined ? { allowed_tools: [...new Set(patch.allowed_tools)] } : {}),
      ...(patch.rate_limit_per_minute !== undefined
        ? { rate_limit_per_minute: clampRateLimit(patch.rate_limit_per_minute) }
        : {}),
    };
    await tx.serviceAccounts.update(accountId, serviceChanges);
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: current.organization_id,
      action: 'service_account.updated',
      targetType: 'service_account',
      targetId: accountId,
      targetLabel: patch.display_name ?? current.display_name,
      metadata: { fields: Object.keys(patch).filter((key) => key !== 'organization_id') },
      origin,
    });
  });
  return presentServiceAccount((await repos.serviceAccounts.find(accountId))!);
}

/** pause: active → paused; resume: paused → active; archive: any → archived, every key revoked. */
export async function changeServiceAccountStatus(
  repos: Repositories,
  principal: Principal,
  accountId: string,
  action: 'pause' | 'resume' | 'archive',
  origin: RequestOrigin,
) {
  const permission = {
    pause: 'service_accounts:pause',
    resume: 'service_accounts:resume',
    archive: 'service_accounts:archive',
  }[action];
  const current = await authorizedServiceAccount(repos, principal, accountId, permission);
  if (current.status === 'archived') throw errors.VALIDATION('account_id', 'the service account is archived');
  if (action === 'resume' && current.status !== 'paused') {
    throw errors.VALIDATION('account_id', 'only a paused service account can be resumed');
  }
  if (action === 'pause' && current.status !== 'active') {
    throw errors.VALIDATION('account_id', 'only an active service account can be paused');
  }
  const status = { pause: 'paused', resume: 'active', archive: 'archived' }[action] as 'active';
  await repos.transaction(async (tx) => {
    await tx.serviceAccounts.setStatus(accountId, status);
    await tx.accounts.update(accountId, {});
    const revoked =
      action === 'archive' ? await tx.apiKeys.revokeAllOf(accountId, 'service account archived') : 0;
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: current.organization_id,
      action: `service_account.${{ pause: 'paused', resume: 'resumed', archive: 'archived' }[action]}`,
      targetType: 'service_account',
      targetId: accountId,
      targetLabel: current.display_name,
      metadata: action === 'archive' ? { api_keys_revoked: revoked } : {},
      origin,
    });
  });
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
