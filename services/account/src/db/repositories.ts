import { type BoundRepositories, createRepositorySet, type RepositorySet } from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import { createAccountRepository } from './accounts-repository.js';
import { createApiKeyRepository } from './api-keys-repository.js';
import { createAuditLogRepository } from './audit-logs-repository.js';
import { createEmailVerificationTokenRepository } from './email-verification-tokens-repository.js';
import { createInvitationRepository } from './invitations-repository.js';
import { createMembershipRepository } from './memberships-repository.js';
import { createOrganizationRepository } from './organizations-repository.js';
import { createPasswordResetTokenRepository } from './password-reset-tokens-repository.js';
import { createRoleRepository } from './roles-repository.js';
import { createServiceAccountRepository } from './service-accounts-repository.js';
import { createSessionRepository } from './sessions-repository.js';
import { createSigningKeyRepository } from './signing-keys-repository.js';
import type { AccountDB } from './types.js';

function tables(db: Kysely<AccountDB>) {
  return {
    accounts: createAccountRepository(db),
    organizations: createOrganizationRepository(db),
    roles: createRoleRepository(db),
    memberships: createMembershipRepository(db),
    invitations: createInvitationRepository(db),
    sessions: createSessionRepository(db),
    emailVerificationTokens: createEmailVerificationTokenRepository(db),
    passwordResetTokens: createPasswordResetTokenRepository(db),
    serviceAccounts: createServiceAccountRepository(db),
    apiKeys: createApiKeyRepository(db),
    auditLogs: createAuditLogRepository(db),
    signingKeys: createSigningKeyRepository(db),
  };
}

/** The repositories bound to one transaction, and that transaction as their executor. */
export type TransactionRepositories = BoundRepositories<ReturnType<typeof tables>>;

export type Repositories = RepositorySet<ReturnType<typeof tables>>;

/** One repository per table; built once in the composition root (`runtime.ts`). */
export function createRepositories(db: Kysely<AccountDB>): Repositories {
  return createRepositorySet(db, tables);
}
