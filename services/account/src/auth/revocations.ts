import type { Revocation, RevocationList } from '@trustplane/kernel';
import type { AccountConfig } from '../config.js';
import type { SessionFilter } from '../db/sessions-repository.js';
import type { TransactionRepositories } from '../db/repositories.js';

export interface RevocationDeps {
  config: Pick<AccountConfig, 'accessTokenTtl' | 'serviceTokenTtl'>;
  revocations: Pick<RevocationList, 'record'>;
}

/**
 * How long a revoked session must stay on the platform's revocation list: as long as an access
 * token naming it can still be valid (the longest token lifetime, plus clock skew).
 */
function sessionHorizon(deps: RevocationDeps): Date {
  const longest = Math.max(deps.config.accessTokenTtl, deps.config.serviceTokenTtl);
  return new Date(Date.now() + (longest + 60) * 1000);
}

/**
 * Ends sessions (caller's transaction) and puts them on the kernel's revocation list in the same
 * transaction, so every service trusting account tokens refuses their access tokens once it
 * commits. Pass the result to `revocations.announce` after the commit.
 */
export async function revokeSessions(
  deps: RevocationDeps,
  tx: TransactionRepositories,
  filter: SessionFilter,
  reason: string,
): Promise<Revocation[]> {
  const ids = await tx.sessions.revoke(filter, reason);
  const until = sessionHorizon(deps);
  return deps.revocations.record(
    tx.executor,
    ids.map((id) => ({ kind: 'session' as const, id, until })),
    reason,
  );
}

/** Puts one access token on the revocation list until its own expiry (caller's transaction). */
export function revokeAccessToken(
  deps: Pick<RevocationDeps, 'revocations'>,
  tx: TransactionRepositories,
  token: { jti: string | null; expiresAt: Date | null },
  reason: string,
): Promise<Revocation[]> {
  if (!token.jti || !token.expiresAt) return Promise.resolve([]);
  return deps.revocations.record(
    tx.executor,
    [{ kind: 'token', id: token.jti, until: token.expiresAt }],
    reason,
  );
}
