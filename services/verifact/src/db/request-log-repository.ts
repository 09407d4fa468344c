import { type Database, prepareStatement } from '@trustplane/kernel';
import { type Kysely, sql } from 'kysely';
import type { VerifactDatabase } from './tables.js';

export interface WindowDecision {
  allowed: boolean;
  limit: number;
  /** Requests left in the window after this one. */
  remaining: number;
  /** Seconds until the oldest counted request leaves the window (a slot frees). */
  resetSeconds: number;
}

const WINDOW_SECONDS = 24 * 60 * 60;

export function createRequestLogRepository(
  db: Kysely<VerifactDatabase>,
  pool: Database<VerifactDatabase>['pool'],
) {
  const consumeRequest = prepareStatement<{
    used: string;
    oldest: Date | null;
    inserted: Date | null;
    freeing: Date | null;
    checked_at: Date;
  }>(
    pool,
    'verifact',
    'consume_request',
    'SELECT used, oldest, inserted, freeing, checked_at FROM consume_request($1, $2, $3, $4, $5)',
  );
  return {
    /**
     * Sliding 24-hour window per key (migration 0006): the key's counter row is locked so
     * concurrent requests of one key count one after another; the requests that left the window
     * since the key's last call are taken out of the counter, and an allowed request is logged and
     * counted in the same transaction. When refused, a slot frees when the request that would
     * leave the window first (the one `limit` places before the newest) is 24 hours old.
     */
    async consume(
      keyId: string,
      tenantId: string,
      operation: string,
      limit: number,
    ): Promise<WindowDecision> {
      // One statement (migrations 0002, 0006): this is the hot path of every counted request, and the
      // key's row lock serialises its requests, so no client round trip happens while it is held.
      const rows = await consumeRequest.run([keyId, tenantId, operation, limit, WINDOW_SECONDS]);
      const row = rows[0];
      if (!row) throw new Error('consume_request returned no row');
      const used = Number(row.used);
      const leaves = (at: Date) =>
        Math.ceil((at.getTime() + WINDOW_SECONDS * 1000 - row.checked_at.getTime()) / 1000);
      if (row.inserted) {
        return {
          allowed: true,
          limit,
          remaining: Math.max(0, limit - used - 1),
          resetSeconds: Math.max(0, leaves(row.oldest ?? row.inserted)),
        };
      }
      return {
        allowed: false,
        limit,
        remaining: 0,
        resetSeconds: Math.max(1, row.freeing ? leaves(row.freeing) : WINDOW_SECONDS),
      };
    },
    /**
     * Deletes requests older than `retentionDays` (never fewer than 2: the window must stay
     * whole), in batches so no single statement holds many row locks or a long transaction.
     * A key that has not called since some of its requests left the window still counts them;
     * those keys are swept first (each under its own lock, as a request would), so only requests
     * no counter holds are deleted.
     */
    async prune(retentionDays: number, batch = 10_000): Promise<number> {
      const days = Math.max(2, retentionDays);
      const stale = await db
        .selectFrom('api_requests')
        .select('key_id')
        .distinct()
        .where('in_window', '=', true)
        .where('created_at', '<=', sql<Date>`clock_timestamp() - make_interval(secs => ${WINDOW_SECONDS})`)
        .execute();
      for (const { key_id } of stale) {
        await sql`SELECT sweep_request_window(${key_id}, ${WINDOW_SECONDS})`.execute(db);
      }
      let total = 0;
      for (;;) {
        const result = await db
          .deleteFrom('api_requests')
          .where(
            'id',
            'in',
            db
              .selectFrom('api_requests')
              .select('id')
              .where('created_at', '<', sql<Date>`now() - make_interval(days => ${days})`)
              .where('in_window', '=', false)
              .orderBy('id')
              .limit(batch),
          )
          .executeTakeFirst();
        const deleted = Number(result.numDeletedRows);
        total += deleted;
        if (deleted < batch) return total;
      }
    },
  };
}

export type RequestLogRepository = ReturnType<typeof createRequestLogRepository>;
