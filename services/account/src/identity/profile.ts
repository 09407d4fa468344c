import type { Kysely } from 'kysely';
import { type RequestOrigin, recordAudit } from '../audit/audit-log.js';
import type { AccountDB } from '../db/types.js';
import { errors } from '../errors.js';
import type { Principal } from '../http/principal.js';
import { epoch } from './access.js';
import { assertNotWidened } from './grants.js';

export async function loadProfile(db: Kysely<AccountDB>, accountId: string) {
  const row = await db
    .selectFrom('accounts as a')
    .leftJoin('service_accounts as s', 's.account_id', 'a.id')
    .select([
      'a.id',
      'a.account_type',
      'a.email',
      'a.display_name',
      'a.avatar_url',
      'a.timezone',
      'a.language',
      'a.email_verified_at',
      'a.bio',
      'a.metadata',
      'a.created_at',
      's.capabilities',
      's.model_config',
      's.organization_id',
    ])
    .where('a.id', '=', accountId)
    .executeTakeFirst();
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
  db: Kysely<AccountDB>,
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
  await db.transaction().execute(async (trx) => {
    const accountPatch = {
      ...(patch.display_name !== undefined ? { display_name: patch.display_name } : {}),
      ...(patch.bio !== undefined ? { bio: patch.bio } : {}),
      ...(patch.timezone !== undefined ? { timezone: patch.timezone } : {}),
      ...(patch.language !== undefined ? { language: patch.language } : {}),
    };
    await trx
      .updateTable('accounts')
      .set({ ...accountPatch, updated_at: new Date() })
      .where('id', '=', principal.accountId)
      .execute();
    if (isService && (patch.model_config !== undefined || patch.capabilities !== undefined)) {
      const current = await trx
        .selectFrom('service_accounts')
        .select(['capabilities'])
        .where('account_id', '=', principal.accountId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (patch.capabilities) assertNotWidened(current.capabilities, patch.capabilities, 'capabilities');
      await trx
        .updateTable('service_accounts')
        .set({
          ...(patch.model_config !== undefined ? { model_config: patch.model_config } : {}),
          ...(patch.capabilities !== undefined ? { capabilities: [...new Set(patch.capabilities)] } : {}),
        })
        .where('account_id', '=', principal.accountId)
        .execute();
    }
    await recordAudit(trx, {
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
  return loadProfile(db, principal.accountId);
}
