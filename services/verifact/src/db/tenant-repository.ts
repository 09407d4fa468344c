import type { Kysely, Selectable } from 'kysely';
import { PG_ERROR, pgErrorCode } from '@trustplane/kernel';
import { isUniqueViolation } from '@trustplane/kernel';
import type { TenantTable, VerifactDatabase } from './tables.js';

export type TenantRow = Selectable<TenantTable>;

export class TenantCodeTakenError extends Error {
  override readonly name = 'TenantCodeTakenError';
  constructor(code: string) {
    super(`tenant ${code} already exists`);
  }
}

/** The settings break a table rule (an annual window needs both ends, start before end). */
export class TenantSettingsError extends Error {
  override readonly name = 'TenantSettingsError';
}

function mapCheckViolation(error: unknown): never {
  if (pgErrorCode(error) === PG_ERROR.checkViolation) {
    throw new TenantSettingsError(
      'invalid settings: an annual plan needs --annual-start before --annual-end',
    );
  }
  throw error;
}

export interface TenantSettings {
  name?: string;
  tier?: string;
  billing_mode?: TenantRow['billing_mode'];
  price_per_claim_paise?: number;
  cap_mode?: TenantRow['cap_mode'];
  cap_limit?: number | null;
  billing_status?: TenantRow['billing_status'];
  billing_grace_days?: number;
  annual_start?: Date | null;
  annual_end?: Date | null;
}

export function createTenantRepository(db: Kysely<VerifactDatabase>) {
  return {
    async insert(row: { id: string; code: string; name: string; tier: string } & TenantSettings) {
      try {
        return await db.insertInto('tenants').values(row).returningAll().executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error, 'tenants_code_key')) throw new TenantCodeTakenError(row.code);
        return mapCheckViolation(error);
      }
    },
    async update(code: string, settings: TenantSettings): Promise<TenantRow | undefined> {
      return db
        .updateTable('tenants')
        .set({ ...settings, updated_at: new Date() })
        .where('code', '=', code)
        .returningAll()
        .executeTakeFirst()
        .catch(mapCheckViolation);
    },
    byCode(code: string): Promise<TenantRow | undefined> {
      return db.selectFrom('tenants').selectAll().where('code', '=', code).executeTakeFirst();
    },
    byId(id: string): Promise<TenantRow | undefined> {
      return db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    },
    list(): Promise<TenantRow[]> {
      return db.selectFrom('tenants').selectAll().orderBy('code').execute();
    },
  };
}

export type TenantRepository = ReturnType<typeof createTenantRepository>;
