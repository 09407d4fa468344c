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
      return db.transaction().execute(async (trx) => {
        await trx.selectFrom('api_keys').select('id').where('id', '=', keyId).forUpdate().execute();
        const since = sql<Date>`clock_timestamp() - make_interval(secs => ${WINDOW_SECONDS})`;
        const counted = await trx
          .selectFrom('api_requests')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .where('key_id', '=', keyId)
          .where('created_at', '>', since)
          .executeTakeFirstOrThrow();
        const used = Number(counted.count);
        if (used >= limit) {
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
        }
        await trx
          .insertInto('api_requests')
          .values({ key_id: keyId, tenant_id: tenantId, operation })
          .execute();
        const oldest = await trx
          .selectFrom('api_requests')
          .select(
            sql<number>`ceil(extract(epoch from (min(created_at) + make_interval(secs => ${WINDOW_SECONDS}) - clock_timestamp())))`.as(
              'seconds',
            ),
          )
          .where('key_id', '=', keyId)
          .where('created_at', '>', since)
          .executeTakeFirst();
        return {
          allowed: true,
          limit,
          remaining: Math.max(0, limit - used - 1),
          resetSeconds: Math.max(0, Number(oldest?.seconds ?? WINDOW_SECONDS)),
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
