import type { Kysely } from 'kysely';
import type { AccountDB } from './types.js';

type ServiceAccountStatus = 'active' | 'paused' | 'archived';

/** A service account with its account's name and times, as the API shows it. */
export interface ServiceAccountRecord {
  account_id: string;
  organization_id: string;
  display_name: string;
  description: string | null;
  status: ServiceAccountStatus;
  capabilities: string[];
  allowed_tools: string[];
  rate_limit_per_minute: number;
  last_used_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface ServiceAccountChanges {
  description?: string | null;
  capabilities?: string[];
  allowed_tools?: string[];
  rate_limit_per_minute?: number;
  model_config?: string;
}

const RECORD_COLUMNS = [
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
] as const;

export function createServiceAccountRepository(db: Kysely<AccountDB>) {
  return {
    async insert(row: {
      accountId: string;
      organizationId: string;
      description: string | null;
      capabilities: string[];
      allowedTools: string[];
      rateLimitPerMinute: number;
    }): Promise<void> {
      await db
        .insertInto('service_accounts')
        .values({
          account_id: row.accountId,
          organization_id: row.organizationId,
          description: row.description,
          capabilities: row.capabilities,
          allowed_tools: row.allowedTools,
          rate_limit_per_minute: row.rateLimitPerMinute,
        })
        .execute();
    },

    find(accountId: string): Promise<ServiceAccountRecord | undefined> {
      return db
        .selectFrom('service_accounts as s')
        .innerJoin('accounts as a', 'a.id', 's.account_id')
        .select(RECORD_COLUMNS)
        .where('s.account_id', '=', accountId)
        .executeTakeFirst();
    },

    /** A page of the organization's service accounts, oldest first. */
    async list(filter: {
      organizationId: string;
      status?: ServiceAccountStatus | undefined;
      page: number;
      perPage: number;
    }): Promise<{ rows: ServiceAccountRecord[]; total: number }> {
      let base = db
        .selectFrom('service_accounts as s')
        .innerJoin('accounts as a', 'a.id', 's.account_id')
        .where('s.organization_id', '=', filter.organizationId);
      if (filter.status) base = base.where('s.status', '=', filter.status);
      const { total } = await base
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .executeTakeFirstOrThrow();
      const rows = await base
        .select(RECORD_COLUMNS)
        .orderBy('a.created_at')
        .orderBy('s.account_id')
        .limit(filter.perPage)
        .offset((filter.page - 1) * filter.perPage)
        .execute();
      return { rows, total: Number(total) };
    },

    /** Capabilities, locking the row until the caller's transaction ends. */
    async capabilitiesForUpdate(accountId: string): Promise<string[]> {
      const row = await db
        .selectFrom('service_accounts')
        .select(['capabilities'])
        .where('account_id', '=', accountId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      return row.capabilities;
    },

    /** Capabilities in that organization unless the account is archived. */
    async liveCapabilities(accountId: string, orgId: string): Promise<string[] | undefined> {
      const row = await db
        .selectFrom('service_accounts')
        .select(['capabilities'])
        .where('account_id', '=', accountId)
        .where('organization_id', '=', orgId)
        .where('status', '!=', 'archived')
        .executeTakeFirst();
      return row?.capabilities;
    },

    async update(accountId: string, changes: ServiceAccountChanges): Promise<void> {
      if (Object.keys(changes).length === 0) return;
      await db.updateTable('service_accounts').set(changes).where('account_id', '=', accountId).execute();
    },

    async setStatus(accountId: string, status: ServiceAccountStatus): Promise<void> {
      await db.updateTable('service_accounts').set({ status }).where('account_id', '=', accountId).execute();
    },
  };
}

export type ServiceAccountRepository = ReturnType<typeof createServiceAccountRepository>;
