import { defineScheduledJob } from '@trustplane/kernel';
import type { Repositories } from '../db/repositories.js';

export const PRUNE_QUEUE = 'account.prune';
/** Hourly, at a minute other services are unlikely to pick. */
export const PRUNE_SCHEDULE = '17 * * * *';

/** Sessions stay listed for audit this long after they ended. */
const SESSION_RETENTION_DAYS = 30;

/**
 * Deletes what can no longer matter: spent or expired one-time tokens, long-ended sessions,
 * and retired signing keys past their horizon (their private key
 * material should not outlive its use).
 */
export async function pruneExpired(
  repositories: Pick<
    Repositories,
    'emailVerificationTokens' | 'passwordResetTokens' | 'sessions' | 'signingKeys'
  >,
): Promise<Record<string, number>> {
  return {
    email_verification_tokens: await repositories.emailVerificationTokens.deleteSpentOrExpired(),
    password_reset_tokens: await repositories.passwordResetTokens.deleteExpired(),
    sessions: await repositories.sessions.deleteEndedBefore(SESSION_RETENTION_DAYS),
    signing_keys: await repositories.signingKeys.deleteRetiredPastHorizon(),
  };
}

/** The hourly prune; a run that fails is tried again, and the next hour's run catches up anyway. */
export function pruneJob(repositories: () => Parameters<typeof pruneExpired>[0]) {
  return defineScheduledJob({
    name: PRUNE_QUEUE,
    cron: PRUNE_SCHEDULE,
    retry: { limit: 3, delaySeconds: 30, backoff: true },
    timeoutSeconds: 300,
    run: async () => ({ deleted: await pruneExpired(repositories()) }),
    done: 'account prune done',
  });
}
