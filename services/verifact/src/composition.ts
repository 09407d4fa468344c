import { readFileSync } from 'node:fs';
import { deriveKey, type HostLookup, type ServiceContext } from '@trustplane/kernel';
import { createAttestationKeys } from './attestation/attestation-keys.js';
import { createBilling } from './billing/billing.js';
import { createClaims } from './claims/claims.js';
import { loadVerifactConfig, type VerifactConfig } from './config.js';
import { createApiKeyRepository } from './db/api-key-repository.js';
import { createAttestationRepository } from './db/attestation-repository.js';
import { createClaimRepository } from './db/claim-repository.js';
import { createPhotoRepository } from './db/photo-repository.js';
import { createRequestLogRepository } from './db/request-log-repository.js';
import type { VerifactDatabase } from './db/tables.js';
import { createTenantRepository } from './db/tenant-repository.js';
import { createTriageRepository } from './db/triage-repository.js';
import { createUsageRepository } from './db/usage-repository.js';
import { createUserRepository } from './db/user-repository.js';
import { createWelcomeMailRepository } from './db/welcome-mail-repository.js';
import { createApiKeys } from './keys/api-keys.js';
import { createPhotos } from './photos/photos.js';
import { createReports } from './report/report.js';
import { createTenants } from './tenants/tenants.js';
import { createTriage } from './triage/triage.js';
import { pruneRequestLogJob } from './jobs/prune-request-log.js';
import { welcomeMailJob } from './jobs/welcome-mail.js';
import { createUsers, type Users } from './users/users.js';
import type { FetchPhotoOptions } from './verify/fetch-photo.js';
import { createVaultOpener } from './verify/vault.js';
import { createVerification } from './verify/verification.js';
import { createVerifierPool } from './verify/verifier-pool.js';

/** Test seams: what the composition root takes from outside besides the platform context. */
export interface VerifactOverrides {
  config?: Partial<VerifactConfig>;
  /** DNS for `{url}` verification (rebinding tests). */
  urlLookup?: HostLookup;
  /** Addresses `{url}` verification treats as public (a local server standing in for the internet). */
  publicAddresses?: readonly string[];
}

/** c2pa-rs settings: the configured trust anchors, never a network fetch of a remote manifest. */
function readerSettings(config: VerifactConfig): string {
  const settings: Record<string, unknown> = { verify: { remote_manifest_fetch: false } };
  if (config.trustAnchorsFile)
    settings.trust = { trust_anchors: readFileSync(config.trustAnchorsFile, 'utf8') };
  return JSON.stringify(settings);
}

/** Composition root: one set of repositories and domain modules per service context. */
export function createVerifact(context: ServiceContext, version: string, overrides: VerifactOverrides = {}) {
  const config: VerifactConfig = { ...loadVerifactConfig(context.env), ...overrides.config };
  const database = context.database<VerifactDatabase>();
  const db = database.kysely;
  const tenantRepository = createTenantRepository(db);
  const apiKeyRepository = createApiKeyRepository(db, database.pool);
  const requestLog = createRequestLogRepository(db, database.pool);
  const usage = createUsageRepository(db, database.pool);
  const claimRepository = createClaimRepository(db);
  const photoRepository = createPhotoRepository(db);
  const userRepository = createUserRepository(db);
  const triageRepository = createTriageRepository(db);
  const billing = createBilling({ db, usage, outbox: context.outbox });
  const attestationKeys = createAttestationKeys(
    createAttestationRepository(db),
    deriveKey(context.signingSecret, 'verifact:attestation-keys'),
  );
  const openVault = createVaultOpener(attestationKeys);
  // Reader processes start with the first photo (or `warm()`), never for an operator command.
  const pool = createVerifierPool({
    processes: config.verifierProcesses,
    memoryMb: config.verifierMemoryMb,
    timeoutMs: config.verifierTimeoutMs,
    queue: config.verifierQueue,
    maxAssertions: config.verifierMaxAssertions,
    settings: readerSettings(config),
    logger: context.logger,
  });
  context.onClose(() => pool.close());
  const urlFetch: FetchPhotoOptions = {
    timeoutMs: config.urlTimeoutMs,
    maxBytes: config.maxPhotoBytes,
    allowPrivate: config.allowPrivateUrls,
    ...(overrides.urlLookup ? { lookup: overrides.urlLookup } : {}),
    ...(overrides.publicAddresses ? { publicAddresses: overrides.publicAddresses } : {}),
  };
  let users: Users | undefined;
  const jobs = {
    welcomeMail: welcomeMailJob(config, () => users as Users),
    pruneRequestLog: pruneRequestLogJob({ requestLog, retentionDays: config.requestLogRetentionDays }),
  };
  users = createUsers({
    db,
    repository: userRepository,
    welcomeMails: createWelcomeMailRepository(db),
    enqueueWelcome: (trx, userId) =>
      context.jobs.send(
        jobs.welcomeMail,
        { userId },
        { transaction: trx, startAfter: config.welcomeMailRetrySeconds },
      ),
    mailer: context.mailer,
    logger: context.logger,
    sealingKey: deriveKey(context.signingSecret, 'verifact:welcome-mail'),
  });
  return {
    context,
    version,
    config,
    database,
    jobs,
    tenantRepository,
    tenants: createTenants(tenantRepository),
    apiKeys: createApiKeys(apiKeyRepository, tenantRepository),
    requestLog,
    usage,
    billing,
    claimRepository,
    photoRepository,
    attestationKeys,
    openVault,
    pool,
    urlFetch,
    users,
    claims: createClaims({
      db,
      claims: claimRepository,
      users: userRepository,
      photos: photoRepository,
      billing,
    }),
    photos: createPhotos({
      db,
      objects: context.objects,
      photos: photoRepository,
      claims: claimRepository,
      billing,
      logger: context.logger,
    }),
    triage: createTriage({
      db,
      pool,
      openVault,
      billing,
      claims: claimRepository,
      photos: photoRepository,
      results: triageRepository,
    }),
    reports: createReports({ claims: claimRepository, photos: photoRepository, triage: triageRepository }),
    verification: createVerification({
      db,
      pool,
      openVault,
      billing,
      photos: photoRepository,
      claims: claimRepository,
    }),
  };
}

export type VerifactDeps = ReturnType<typeof createVerifact>;
