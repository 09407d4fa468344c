import { createPrincipalAccessor, type ServiceContext } from '@trustplane/kernel';
import type { BiometryConfig } from '../config.js';
import type { JobRepository } from '../db/job-repository.js';
import { errors } from '../errors.js';
import type { JobSubmitter } from '../jobs/submit-jobs.js';
import type { AuthenticatedClient, ServiceKeys } from '../keys/service-keys.js';

/** What the routes need, built once in the composition root (`src/service.ts`). */
export interface BiometryDeps {
  context: ServiceContext;
  config: BiometryConfig;
  version: string;
  keys: ServiceKeys;
  jobs: JobRepository;
  /** Live processing workers (the kernel's job liveness heartbeats). */
  workers: { countActive(): Promise<number> };
  submitter: JobSubmitter;
  modelVersions(): Promise<Record<string, string>>;
}

/** The client whose service key the `/jobs` scope's hook accepted. */
export const clients = createPrincipalAccessor<AuthenticatedClient>(() => errors.invalid_api_key());
export const principalOf = clients.of;
