import type { KyselyExecutor } from '@trustplane/kernel';
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

/**
 * The repositories bound to one transaction, and that transaction as an executor for the kernel
 * writers that join it (job queue, webhook dispatcher). Domain modules never see Kysely itself.
 */
export type KycTransaction = ReturnType<typeof tables> & { executor: KyselyExecutor };

export type KycRepositories = ReturnType<typeof tables> & {
  /** Runs `work` in one transaction; everything it writes through `tx` commits or rolls back together. */
  transaction<T>(work: (tx: KycTransaction) => Promise<T>): Promise<T>;
};

/** One repository per table; built once per service context (`kyc.ts`). */
export function createRepositories(db: Kysely<KycDatabase>): KycRepositories {
  return {
    ...tables(db),
    transaction: (work) => db.transaction().execute((trx) => work({ ...tables(trx), executor: trx })),
  };
}
