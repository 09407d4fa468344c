import {
  type Database,
  prepareStatement,
  type StoredApiKey,
  updateSingleActiveKey,
} from '@trustplane/kernel';
import type { Kysely, Selectable } from 'kysely';
import type { ApiKeyTable, TenantTable, VerifactDatabase } from './tables.js';
import type { TenantRow } from './tenant-repository.js';

export type ApiKeyRow = Selectable<ApiKeyTable>;
/** A key with its tenant, as a request's authentication needs both. */
export type ApiKeyWithTenant = ApiKeyRow & { tenant: TenantRow };

// Every column of the tenant row (the record type makes a column added to the table a type error here).
const TENANT_COLUMNS = Object.keys({
  id: true,
  code: true,
  name: true,
  tier: true,
  billing_mode: true,
  price_per_claim_paise: true,
  cap_mode: true,
  cap_limit: true,
  billing_status: true,
  billing_grace_days: true,
  annual_start: true,
  annual_end: true,
  claims_clock: true,
  created_at: true,
  updated_at: true,
} satisfies Record<keyof TenantTable, true>) as (keyof TenantTable)[];

// Every column of the key row, likewise.
const API_KEY_COLUMNS = Object.keys({
  id: true,
  tenant_id: true,
  name: true,
  key_hash: true,
  display_prefix: true,
  scopes: true,
  daily_limit: true,
  created_at: true,
  revoked_at: true,
} satisfies Record<keyof ApiKeyTable, true>) as (keyof ApiKeyTable)[];

const API_KEYS = { table: 'api_keys', prefixColumn: 'display_prefix' };

export function createApiKeyRepository(
  db: Kysely<VerifactDatabase>,
  pool: Database<VerifactDatabase>['pool'],
) {
  // Built with Kysely once (`$1` is the prefix), run prepared on every keyed request.
  const byPrefixWithTenant = prepareStatement<Record<string, unknown>>(
    pool,
    'verifact',
    'api_key_by_prefix_with_tenant',
    db
      .selectFrom('api_keys')
      .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
      .select(API_KEY_COLUMNS.map((column) => `api_keys.${column}` as const))
      .select(TENANT_COLUMNS.map((column) => `tenants.${column} as tenant__${column}` as const))
      .where('api_keys.display_prefix', '=', '')
      .compile().sql,
  );
  return {
    async insert(row: {
      id: string;
      tenantId: string;
      name: string | null;
      keyHash: string;
      displayPrefix: string;
      scopes: string[];
      dailyLimit: number;
    }): Promise<ApiKeyRow> {
      return db
        .insertInto('api_keys')
        .values({
          id: row.id,
          tenant_id: row.tenantId,
          name: row.name,
          key_hash: row.keyHash,
          display_prefix: row.displayPrefix,
          scopes: row.scopes,
          daily_limit: row.dailyLimit,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /** Keys with this display prefix (indexed), revoked ones included: the authenticator refuses those. */
    async findByDisplayPrefix(prefix: string): Promise<StoredApiKey<ApiKeyRow>[]> {
      const rows = await db.selectFrom('api_keys').selectAll().where('display_prefix', '=', prefix).execute();
      return rows.map((row) => ({ id: row.id, hash: row.key_hash, revokedAt: row.revoked_at, record: row }));
    },
    /**
     * `findByDisplayPrefix` with each key's tenant, in one round trip (a prepared statement): this
     * runs on every keyed request, before anything else can start.
     */
    async findByDisplayPrefixWithTenant(prefix: string): Promise<StoredApiKey<ApiKeyWithTenant>[]> {
      const rows = await byPrefixWithTenant.run([prefix]);
      return rows.map((row) => {
        const key: Record<string, unknown> = {};
        const tenant: Record<string, unknown> = {};
        for (const [column, value] of Object.entries(row)) {
          if (column.startsWith('tenant__')) tenant[column.slice('tenant__'.length)] = value;
          else key[column] = value;
        }
        const record = { ...(key as ApiKeyRow), tenant: tenant as TenantRow };
        return { id: record.id, hash: record.key_hash, revokedAt: record.revoked_at, record };
      });
    },
    list(tenantId?: string): Promise<ApiKeyRow[]> {
      let query = db.selectFrom('api_keys').selectAll().orderBy('created_at');
      if (tenantId) query = query.where('tenant_id', '=', tenantId);
      return query.execute();
    },
    /** Revokes the one active key with this id or display prefix; returns its id (none or several: []). */
    async revoke(idOrPrefix: string): Promise<string[]> {
      const id = await updateSingleActiveKey(db, API_KEYS, idOrPrefix, { revoked_at: new Date() });
      return id ? [id] : [];
    },
  };
}

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>;
