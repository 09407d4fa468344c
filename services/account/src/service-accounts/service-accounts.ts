import { randomUUID } from 'node:crypto';
import { type RequestOrigin, recordAudit } from '../audit/audit-log.js';
import type { Repositories } from '../db/repositories.js';
import type { ServiceAccountRecord } from '../db/service-accounts-repository.js';
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
