import { type Kysely, sql, type Transaction } from 'kysely';

let savepoints = 0;

/**
 * Runs `work` inside a savepoint of `trx`: its writes are released on success and rolled back on
 * a throw, leaving the rest of the transaction usable (the error is rethrown).
 */
export async function inSavepoint<DB, T>(trx: Transaction<DB>, work: () => Promise<T>): Promise<T> {
  const name = sql.id(`sp_${++savepoints}`);
  await sql`SAVEPOINT ${name}`.execute(trx);
  try {
    const result = await work();
    await sql`RELEASE SAVEPOINT ${name}`.execute(trx);
    return result;
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT ${name}`.execute(trx);
    throw error;
  }
}

/** `NOTIFY channel, payload` sent by `executor` (on commit, when it is a transaction). */
export async function notifyChannel<DB>(
  executor: Kysely<DB> | Transaction<DB>,
  channel: string,
  payload: string,
): Promise<void> {
  await sql`SELECT pg_notify(${channel}, ${payload})`.execute(executor);
}
