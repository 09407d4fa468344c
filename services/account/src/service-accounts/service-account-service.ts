import { randomUUID } from 'node:crypto';
import { mintApiKey } from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import { type RequestOrigin, recordAudit } from '../audit/audit-log.js';
import { API_KEY_DISPLAY_CHARS } from '../auth/api-keys.js';
import type { AccountDB, ApiKeyRow } from '../db/types.js';
import type { AccountDeps } from '../deps.js';
import { errors } from '../errors.js';
import { type Principal, requireOrgPermission } from '../http/principal.js';
import { epoch } from '../identity/access.js';
import { assertGrant, assertGrantWithin, assertNotWidened } from '../identity/grants.js';
import { activeOrganization } from '../organizations/organization-service.js';

type Db = Kysely<AccountDB>;

/** The seed says the limit is clamped to 1-10000, not refused. */
export const clampRateLimit = (value: number) => Math.min(10_000, Math.max(1, Math.trunc(value)));

async function loadServiceAccount(db: Db, accountId: string) {
  return db
    .selectFrom('service_accounts as s')
    .innerJoin('accounts as a', 'a.id', 's.account_id')
    .select([
      's.account_id',
      's.organization_id',
      'a.display_name',
      's.description',
      's.status',
      's.capabilities',
      's.allowed_tools',
      's.rate_limit_per_minute',
      's.last_used_at',
      'a.created_at',
      'a.updated_at',
    ])
    .where('s.account_id', '=', accountId)
    .executeTakeFirst();
}

type ServiceAccountView = NonNullable<Awaited<ReturnType<typeof loadServiceAccount>>>;

export function presentServiceAccount(row: ServiceAccountView) {
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
  db: Db,
  principal: Principal,
  accountId: string,
  permission: string,
) {
  const row = await loadServiceAccount(db, accountId);
  if (!row || row.organization_id !== principal.orgId) throw errors.NOT_FOUND('Service account');
  requireOrgPermission(principal, row.organization_id, permission);
  return row;
}

export async function listServiceAccounts(
  db: Db,
  principal: Principal,
  filter: { organization_id: string; status?: string | undefined; page: number; perPage: number },
) {
  requireOrgPermission(principal, filter.organization_id, 'service_accounts:read');
  let base = db
    .selectFrom('service_accounts as s')
    .innerJoin('accounts as a', 'a.id', 's.account_id')
    .where('s.organization_id', '=', filter.organization_id);
  if (filter.status) base = base.where('s.status', '=', filter.status as 'active');
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await base
    .select([
      's.account_id',
      's.organization_id',
      'a.display_name',
      's.description',
      's.status',
      's.capabilities',
      's.allowed_tools',
      's.rate_limit_per_minute',
      's.last_used_at',
      'a.created_at',
      'a.updated_at',
    ])
    .orderBy('a.created_at')
    .orderBy('s.account_id')
    .limit(filter.perPage)
    .offset((filter.page - 1) * filter.perPage)
    .execute();
  return { items: rows.map(presentServiceAccount), total: Number(total) };
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
  db: Db,
  principal: Principal,
  input: ServiceAccountInput,
  origin: RequestOrigin,
) {
  requireOrgPermission(principal, input.organization_id, 'service_accounts:create');
  assertGrant({ granter: principal, grant: input.capabilities, grantee: 'service', field: 'capabilities' });
  await activeOrganization(db, input.organization_id);
  const id = randomUUID();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('accounts')
      .values({
        id,
        account_type: 'service',
        email: null,
        password_hash: null,
        display_name: input.display_name,
      })
      .execute();
    await trx
      .insertInto('service_accounts')
      .values({
        account_id: id,
        organization_id: input.organization_id,
        description: input.description ?? null,
        capabilities: [...new Set(input.capabilities)],
        allowed_tools: [...new Set(input.allowed_tools)],
        rate_limit_per_minute: clampRateLimit(input.rate_limit_per_minute ?? 60),
      })
      .execute();
    await recordAudit(trx, {
      actorId: principal.accountId,
      organizationId: input.organization_id,
      action: 'service_account.created',
      targetType: 'service_account',
      targetId: id,
      targetLabel: input.display_name,
      origin,
    });
  });
  return presentServiceAccount((await loadServiceAccount(db, id))!);
}

export async function getServiceAccount(db: Db, principal: Principal, accountId: string) {
  return presentServiceAccount(
    await authorizedServiceAccount(db, principal, accountId, 'service_accounts:read'),
  );
}

export async function updateServiceAccount(
  db: Db,
  principal: Principal,
  accountId: string,
  patch: Partial<ServiceAccountInput> & { organization_id: string },
  origin: RequestOrigin,
) {
  const current = await authorizedServiceAccount(db, principal, accountId, 'service_accounts:update');
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
  await db.transaction().execute(async (trx) => {
    if (patch.display_name !== undefined) {
      await trx
        .updateTable('accounts')
        .set({ display_name: patch.display_name, updated_at: new Date() })
        .where('id', '=', accountId)
        .execute();
    } else {
      await trx.updateTable('accounts').set({ updated_at: new Date() }).where('id', '=', accountId).execute();
    }
    const serviceChanges = {
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.capabilities !== undefined ? { capabilities: [...new Set(patch.capabilities)] } : {}),
      ...(patch.allowed_tools !== undefined ? { allowed_tools: [...new Set(patch.allowed_tools)] } : {}),
      ...(patch.rate_limit_per_minute !== undefined
        ? { rate_limit_per_minute: clampRateLimit(patch.rate_limit_per_minute) }
        : {}),
    };
    if (Object.keys(serviceChanges).length > 0) {
      await trx
        .updateTable('service_accounts')
        .set(serviceChanges)
        .where('account_id', '=', accountId)
        .execute();
    }
    await recordAudit(trx, {
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
  return presentServiceAccount((await loadServiceAccount(db, accountId))!);
}

/** pause: active → paused; resume: paused → active; archive: any → archived, every key revoked. */
export async function changeServiceAccountStatus(
  db: Db,
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
  const current = await authorizedServiceAccount(db, principal, accountId, permission);
  if (current.status === 'archived') throw errors.VALIDATION('account_id', 'the service account is archived');
  if (action === 'resume' && current.status !== 'paused') {
    throw errors.VALIDATION('account_id', 'only a paused service account can be resumed');
  }
  if (action === 'pause' && current.status !== 'active') {
    throw errors.VALIDATION('account_id', 'only an active service account can be paused');
  }
  const status = { pause: 'paused', resume: 'active', archive: 'archived' }[action] as 'active';
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('service_accounts').set({ status }).where('account_id', '=', accountId).execute();
    await trx.updateTable('accounts').set({ updated_at: new Date() }).where('id', '=', accountId).execute();
    let revoked = 0;
    if (action === 'archive') {
      const rows = await trx
        .updateTable('api_keys')
        .set({ revoked_at: new Date(), revoked_reason: 'service account archived' })
        .where('service_account_id', '=', accountId)
        .where('revoked_at', 'is', null)
        .returning('id')
        .execute();
      revoked = rows.length;
    }
    await recordAudit(trx, {
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
  db: Db,
  principal: Principal,
  accountId: string,
  page: number,
  perPage: number,
) {
  await authorizedServiceAccount(db, principal, accountId, 'api_keys:read');
  const { total } = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .where('service_account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  const rows = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('service_account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(perPage)
    .offset((page - 1) * perPage)
    .execute();
  return { items: rows.map(presentApiKey), total: Number(total) };
}

/** Mints `ak_<env>_<base62>`; the plaintext is returned here only, SHA-256 is stored. */
export async function createApiKey(
  deps: AccountDeps,
  principal: Principal,
  accountId: string,
  input: { name?: string | undefined; permissions: string[]; expires_in_days?: number | undefined },
  origin: RequestOrigin,
) {
  const account = await authorizedServiceAccount(deps.db, principal, accountId, 'api_keys:create');
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
  const row = await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('api_keys')
      .values({
        id,
        service_account_id: accountId,
        name: input.name ?? '',
        key_prefix: minted.displayPrefix,
        key_hash: minted.hash,
        permissions: [...new Set(input.permissions)],
        expires_at: input.expires_in_days ? new Date(Date.now() + input.expires_in_days * 86_400_000) : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
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

async function authorizedApiKey(db: Db, principal: Principal, keyId: string, permission: string) {
  const key = await db.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
  if (!key) throw errors.NOT_FOUND('API key');
  try {
    const account = await authorizedServiceAccount(db, principal, key.service_account_id, permission);
    return { key, account };
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) throw errors.NOT_FOUND('API key');
    throw error;
  }
}

export async function revokeApiKey(
  db: Db,
  principal: Principal,
  keyId: string,
  reason: string | undefined,
  origin: RequestOrigin,
) {
  const { key, account } = await authorizedApiKey(db, principal, keyId, 'api_keys:revoke');
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('api_keys')
      .set({ revoked_at: new Date(), revoked_reason: reason ?? null })
      .where('id', '=', keyId)
      .where('revoked_at', 'is', null)
      .execute();
    await recordAudit(trx, {
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

export async function deleteApiKey(db: Db, principal: Principal, keyId: string, origin: RequestOrigin) {
  const { key, account } = await authorizedApiKey(db, principal, keyId, 'api_keys:delete');
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('api_keys').where('id', '=', keyId).execute();
    await recordAudit(trx, {
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
