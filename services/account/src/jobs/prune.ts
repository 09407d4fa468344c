import { defineJob } from '@trustplane/kernel';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { AccountDB } from '../db/types.js';

export const PRUNE_QUEUE = 'account.prune';
/** Hourly, at a minute other services are unlikely to pick. */
export const PRUNE_SCHEDULE = '17 * * * *';

/** Sessions stay listed for audit this long after they ended. */
const SESSION_RETENTION = sql`interval '30 days'`;

/**
 * Deletes what can no longer matter: spent or expired one-time tokens, long-ended sessions,
 * and retired signing keys past their horizon (their private key
 * material should not outlive its use).
 */
export async function pruneExpired(db: Kysely<AccountDB>): Promise<Record<string, number>> {
  const count = (rows: { numDeletedRows: bigint }[]) => Number(rows[0]?.numDeletedRows ?? 0);
  return {
    email_verification_tokens: count(
      await db
        .deleteFrom('email_verification_tokens')
        .where((eb) => eb.or([eb('expires_at', '<', sql<Date>`now()`), eb('used_at', 'is not', null)]))
        .execute(),
    ),
    password_reset_tokens: count(
      await db.deleteFrom('password_reset_tokens').where('expires_at', '<', sql<Date>`now()`).execute(),
    ),
    sessions: count(
      await db
        .deleteFrom('sessions')
        .where((eb) =>
          eb.or([
            eb('expires_at', '<', sql<Date>`now() - ${SESSION_RETENTION}`),
            eb('revoked_at', '<', sql<Date>`now() - ${SESSION_RETENTION}`),
          ]),
        )
        .execute(),
    ),
    signing_keys: count(
      await db
        .deleteFrom('signing_keys')
        .where('active', '=', false)
        .where('not_after', '<', sql<Date>`now()`)
        .execute(),
    ),
  };
}

/** The hourly prune; a run that fails is tried again, and the next hour's run catches up anyway. */
export function pruneJob(db: () => Kysely<AccountDB>) {
  return defineJob({
    name: PRUNE_QUEUE,
    version: 1,
    payload: z.object({}),
    schedule: { cron: PRUNE_SCHEDULE, payload: {} },
    retry: { limit: 3, delaySeconds: 30, backoff: true },
    timeoutSeconds: 300,
    async handle(_payload, job) {
      const deleted = await pruneExpired(db());
      job.logger.info({ deleted }, 'account prune done');
    },
  });
}
