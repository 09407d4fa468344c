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

export function createRequestLogRepository(db: Kysely<VerifactDatabase>) {
  return {
    /**
     * Sliding 24-hour window per key over the request log: the key's row is locked so concurrent
     * requests of one key count one after another; an allowed request is logged in the same
     * transaction. When refused, a slot frees when the request that would leave the window
     * first (the one `limit` places before the newest) is 24 hours old.
     */
    async consume(
      keyId: string,
      tenantId: string,
      operation: string,
      limit: number,
    ): Promise<WindowDecision> {
      // Two statements under the lock (this is the hot path of every counted request: the lock
      // serialises a key's requests, so every round trip while holding it costs throughput).
      // They must be separate statements: a statement's snapshot predates the lock wait, the next
      // one sees what the previous holder committed.
      return db.transaction().execute(async (trx) => {
        await trx.selectFrom('api_keys').select('id').where('id', '=', keyId).forUpdate().execute();
        const since = sql<Date>`clock_timestamp() - make_interval(secs => ${WINDOW_SECONDS})`;
        const { rows } = await sql<{ used: string; oldest: Date | null; inserted: Date | null }>`
          WITH window_requests AS (
            SELECT count(*) AS used, min(created_at) AS oldest
              FROM api_requests WHERE key_id = ${keyId} AND created_at > ${since}
          ), logged AS (
            INSERT INTO api_requests (key_id, tenant_id, operation)
            SELECT ${keyId}, ${tenantId}, ${operation} FROM window_requests WHERE used < ${limit}
            RETURNING created_at
          )
          SELECT used, oldest, (SELECT created_at FROM logged) AS inserted FROM window_requests`.execute(trx);
        const row = rows[0];
        const used = Number(row?.used ?? 0);
        if (row?.inserted) {
          const oldest = row.oldest ?? row.inserted;
          return {
            allowed: true,
            limit,
            remaining: Math.max(0, limit - used - 1),
            resetSeconds: Math.max(
              0,
              Math.ceil((oldest.getTime() + WINDOW_SECONDS * 1000 - row.inserted.getTime()) / 1000),
            ),
          };
        }
        // The (used - limit + 1)-th oldest request in the window must leave before one more fits.
        const freeing = await trx
          .selectFrom('api_requests')
          .select(
            sql<number>`ceil(extract(epoch from (created_at + make_interval(secs => ${WINDOW_SECONDS}) - clock_timestamp())))`.as(
              'seconds',
            ),
          )
          .where('key_id', '=', keyId)
          .where('created_at', '>', since)
          .orderBy('created_at')
          .offset(Math.max(0, used - limit))
          .limit(1)
          .executeTakeFirst();
        return {
          allowed: false,
          limit,
          remaining: 0,
          resetSeconds: Math.max(1, Number(freeing?.seconds ?? WINDOW_SECONDS)),
        };
      });
    },
    /** Requests older than the window that are also past the log's retention. */
    async prune(retentionDays: number): Promise<number> {
      const result = await db
        .deleteFrom('api_requests')
        .where('created_at', '<', sql<Date>`now() - make_interval(days => ${retentionDays})`)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type RequestLogRepository = ReturnType<typeof createRequestLogRepository>;
