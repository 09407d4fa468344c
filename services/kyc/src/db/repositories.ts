import { type BoundRepositories, createRepositorySet, type RepositorySet } from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import { createAnalysisResultsRepository } from './analysis-results-repository.js';
import { createApiKeysRepository } from './api-keys-repository.js';
import { createAuditEventsRepository } from './audit-events-repository.js';
import { createDocumentAssetsRepository } from './document-assets-repository.js';
import { createLivenessAttemptsRepository } from './liveness-attempts-repository.js';
import { createMembershipsRepository } from './memberships-repository.js';
import { createOperatorSessionsRepository } from './operator-sessions-repository.js';
import { createOrganizationsRepository } from './organizations-repository.js';
import type { KycDatabase } from './tables.js';
import { createUsersRepository } from './users-repository.js';
import { createVerificationSessionsRepository } from './verification-sessions-repository.js';

function tables(db: Kysely<KycDatabase>) {
  return {
    users: createUsersRepository(db),
    operatorSessions: createOperatorSessionsRepository(db),
    organizations: createOrganizationsRepository(db),
    memberships: createMembershipsRepository(db),
    apiKeys: createApiKeysRepository(db),
    sessions: createVerificationSessionsRepository(db),
    assets: createDocumentAssetsRepository(db),
    analyses: createAnalysisResultsRepository(db),
    liveness: createLivenessAttemptsRepository(db),
    auditEvents: createAuditEventsRepository(db),
  };
}

/** The repositories bound to one transaction, and that transaction as their executor. */
export type KycTransaction = BoundRepositories<ReturnType<typeof tables>>;

export type KycRepositories = RepositorySet<ReturnType<typeof tables>>;

/** One repository per table; built once per service context (`kyc.ts`). */
export function createRepositories(db: Kysely<KycDatabase>): KycRepositories {
  return createRepositorySet(db, tables);
}
