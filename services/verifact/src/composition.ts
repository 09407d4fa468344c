import type { ServiceContext } from '@trustplane/kernel';
import { createBilling } from './billing/billing.js';
import { loadVerifactConfig, type VerifactConfig } from './config.js';
import { createApiKeyRepository } from './db/api-key-repository.js';
import { createRequestLogRepository } from './db/request-log-repository.js';
import type { VerifactDatabase } from './db/tables.js';
import { createTenantRepository } from './db/tenant-repository.js';
import { createUsageRepository } from './db/usage-repository.js';
import { createApiKeys } from './keys/api-keys.js';
import { createTenants } from './tenants/tenants.js';

/** Test seams: what the composition root takes from outside besides the platform context. */
export interface VerifactOverrides {
  config?: Partial<VerifactConfig>;
}

/** Composition root: one set of repositories and domain modules per service context. */
export function createVerifact(context: ServiceContext, version: string, overrides: VerifactOverrides = {}) {
  const config: VerifactConfig = { ...loadVerifactConfig(process.env), ...overrides.config };
  const database = context.database<VerifactDatabase>();
  const db = database.kysely;
  const tenantRepository = createTenantRepository(db);
  const apiKeyRepository = createApiKeyRepository(db);
  const requestLog = createRequestLogRepository(db);
  const usage = createUsageRepository(db);
  const billing = createBilling({ db, usage, outbox: context.outbox });
  return {
    context,
    version,
    config,
    database,
    tenantRepository,
    tenants: createTenants(tenantRepository),
    apiKeys: createApiKeys(apiKeyRepository, tenantRepository),
    requestLog,
    usage,
    billing,
  };
}

export type VerifactDeps = ReturnType<typeof createVerifact>;
