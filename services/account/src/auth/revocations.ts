import type { Revocation } from '@trustplane/kernel';
import type { Kysely } from 'kysely';
import type { AccountDB } from '../db/types.js';
import type { AccountDeps } from '../deps.js';

type Executor = Kysely<AccountDB>;

/**
 * How long a revoked session must stay on the platform's revocation list: as long as an access
 * token naming it can still be valid (the longest token lifetime, plus clock skew).
 */
function sessionHorizon(deps: Pick<AccountDeps, 'config'>): Date {
  const longest = Math.max(deps.config.accessTokenTtl, deps.config.serviceTokenTtl);
  return new Date(Date.now() + (longest + 60) * 1000);
}

/**
 * Ends sessions (caller's transaction) and puts them on the kernel's revocation list in the same
 * transaction, so every service trusting account tokens refuses their access tokens once it
 * commits. Pass the result to `deps.revocations.announce` after the commit.
 */
export async function revokeSessions(
  deps: Pick<AccountDeps, 'config' | 'revocations'>,
  executor: Executor,
  filter: { sessionIds?: string[]; accountId?: string; exceptSessionId?: string | null },
  reason: string,
): Promise<Revocation[]> {
  if (filter.sessionIds?.length === 0) return [];
  let query = executor
    .updateTable('sessions')
    .set({ revoked_at: new Date(), revoked_reason: reason })
    .where('revoked_at', 'is', null);
  if (filter.sessionIds) query = query.where('id', 'in', filter.sessionIds);
  if (filter.accountId) query = query.where('account_id', '=', filter.accountId);
  if (filter.exceptSessionId) query = query.where('id', '!=', filter.exceptSessionId);
  const rows = await query.returning('id').execute();
  const until = sessionHorizon(deps);
  return deps.revocations.record(
    executor,
    rows.map((row) => ({ kind: 'session' as const, id: row.id, until })),
    reason,
  );
}

/** Puts one access token on the revocation list until its own expiry (caller's transaction). */
export function revokeAccessToken(
  deps: Pick<AccountDeps, 'revocations'>,
  executor: Executor,
  token: { jti: string | null; expiresAt: Date | null },
  reason: string,
): Promise<Revocation[]> {
  if (!token.jti || !token.expiresAt) return Promise.resolve([]);
  return deps.revocations.record(
    executor,
    [{ kind: 'token', id: token.jti, until: token.expiresAt }],
    reason,
  );
}
