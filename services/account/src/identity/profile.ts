import { type RequestOrigin, recordAudit } from '../audit/audit-log.js';
import type { Repositories } from '../db/repositories.js';
import { errors } from '../errors.js';
import { epoch } from './access.js';
import { assertNotWidened } from './grants.js';
import type { Principal } from './principal.js';

export async function loadProfile(repos: Pick<Repositories, 'accounts'>, accountId: string) {
  const row = await repos.accounts.findWithServiceProfile(accountId);
  if (!row) throw errors.NOT_FOUND('Account');
  return {
    account_id: row.id,
    account_type: row.account_type,
    email: row.email ?? '',
    display_name: row.display_name,
    avatar_url: row.avatar_url,
    timezone: row.timezone,
    language: row.language,
    email_verified: row.account_type === 'human' ? row.email_verified_at !== null : false,
    bio: row.bio,
    metadata: row.metadata,
    created_at: epoch(row.created_at),
    ...(row.account_type === 'service'
      ? {
          capabilities: row.capabilities ?? [],
          model_config: row.model_config,
          organization_id: row.organization_id,
        }
      : {}),
  };
}

/** The caller's own profile; reading it is audited (`account.accessed`). */
export async function viewOwnProfile(repos: Repositories, principal: Principal, origin: RequestOrigin) {
  const profile = await loadProfile(repos, principal.accountId);
  await recordAudit(repos.auditLogs, {
    actorId: principal.accountId,
    organizationId: principal.orgId,
    action: 'account.accessed',
    targetType: 'account',
    targetId: principal.accountId,
    origin,
  });
  return profile;
}

export interface ProfilePatch {
  display_name?: string | undefined;
  bio?: string | undefined;
  timezone?: string | undefined;
  language?: string | undefined;
  model_config?: string | undefined;
  capabilities?: string[] | undefined;
}

/**
 * Omitted fields stay. `model_config` and `capabilities` exist for service accounts only, and a
 * service account may only narrow its own capabilities: widening them is an administrator's act
 * (PUT /service-accounts/{id}), never the key holder's.
 */
export async function updateProfile(
  repos: Repositories,
  principal: Principal,
  patch: ProfilePatch,
  origin: RequestOrigin,
) {
  const isService = principal.type === 'service';
  if (!isService && patch.model_config !== undefined) {
    throw errors.VALIDATION('model_config', 'applies to service accounts only');
  }
  if (!isService && patch.capabilities !== undefined) {
    throw errors.VALIDATION('capabilities', 'applies to service accounts only');
  }
  await repos.transaction(async (tx) => {
    await tx.accounts.update(principal.accountId, patch);
    if (isService && (patch.model_config !== undefined || patch.capabilities !== undefined)) {
      const current = await tx.serviceAccounts.capabilitiesForUpdate(principal.accountId);
      if (patch.capabilities) assertNotWidened(current, patch.capabilities, 'capabilities');
      await tx.serviceAccounts.update(principal.accountId, {
        ...(patch.model_config !== undefined ? { model_config: patch.model_config } : {}),
        ...(patch.capabilities !== undefined ? { capabilities: [...new Set(patch.capabilities)] } : {}),
      });
    }
    await recordAudit(tx.auditLogs, {
      actorId: principal.accountId,
      organizationId: principal.orgId,
      action: 'account.profile_updated',
      targetType: 'account',
      targetId: principal.accountId,
      metadata: {
        fields: Object.keys(patch).filter((key) => patch[key as keyof ProfilePatch] !== undefined),
      },
      origin,
    });
  });
  return loadProfile(repos, principal.accountId);
}
