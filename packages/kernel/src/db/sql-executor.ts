import { CompiledQuery, type QueryResult } from 'kysely';
import type pg from 'pg';

/** What a Kysely instance or transaction offers, whatever its database type. */
export interface KyselyExecutor {
  readonly isTransaction: boolean;
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
  transaction(): { execute<T>(work: (transaction: KyselyExecutor) => Promise<T>): Promise<T> };
}

/**
 * Where the caller's statements run: a Kysely transaction (or instance), or a pg client
 * (or pool). Writing through the caller's executor is what makes a write part of the
 * caller's transaction.
 */
export type SqlExecutor = KyselyExecutor | pg.ClientBase | pg.Pool;

interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export function isKyselyExecutor(executor: SqlExecutor): executor is KyselyExecutor {
  return typeof (executor as Partial<KyselyExecutor>).executeQuery === 'function';
}

function isPool(executor: SqlExecutor): executor is pg.Pool {
  return !isKyselyExecutor(executor) && 'totalCount' in executor && typeof executor.connect === 'function';
}

export async function runSql<R>(executor: SqlExecutor, text: string, values: unknown[] = []): Promise<R[]> {
  if (isKyselyExecutor(executor)) {
    const result = await executor.executeQuery(CompiledQuery.raw(text, values));
    return result.rows as R[];
  }
  const result = await (executor as unknown as PgQueryable).query(text, values);
  return result.rows as R[];
}

/**
 * Runs `work` atomically: inside the caller's transaction when the executor is one (a
 * Kysely transaction or a pg client, whose transaction state is the caller's), otherwise
 * in a new transaction (a Kysely instance or a pool).
 */
export async function withinTransaction<T>(
  executor: SqlExecutor,
  work: (executor: SqlExecutor) => Promise<T>,
): Promise<T> {
  if (isKyselyExecutor(executor)) {
    return executor.isTransaction ? work(executor) : executor.transaction().execute(work);
  }
  if (!isPool(executor)) return work(executor);
  const client = await executor.connect();
  let broken: Error | undefined;
  // A checked-out pg client has no error listener: without one, a dropped connection would crash the process.
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    // A connection that could not even roll back is discarded, not returned to the pool.
    client.removeListener('error', onError);
    client.release(broken);
  }
}
