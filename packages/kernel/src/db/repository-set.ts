import { type Kysely, sql } from 'kysely';
import type { KyselyExecutor } from './sql-executor.js';

/**
 * A service's repositories bound to one executor (its pool, or one transaction), with that executor
 * for the kernel writers and readers that join it (outbox, job queue, webhook dispatcher, revocation
 * list). Domain modules never see Kysely itself.
 */
export type BoundRepositories<R> = R & { executor: KyselyExecutor };

export interface TransactionOptions {
  /**
   * false: the commit does not wait for the WAL flush (`SET LOCAL synchronous_commit = off`), for
   * work whose loss to a power cut (not a process crash) only means it runs again.
   */
  synchronousCommit?: boolean;
}

export type RepositorySet<R> = BoundRepositories<R> & {
  /** Runs `work` in one transaction; everything it writes through `tx` commits or rolls back together. */
  transaction<T>(work: (tx: BoundRepositories<R>) => Promise<T>, options?: TransactionOptions): Promise<T>;
};

/**
 * One repository per table (`tables` builds them on an executor), on the service's pool and, for
 * `transaction`, on one transaction. Built once in the service's composition root.
 */
export function createRepositorySet<DB, R>(db: Kysely<DB>, tables: (db: Kysely<DB>) => R): RepositorySet<R> {
  return {
    ...tables(db),
    executor: db,
    transaction: (work, options = {}) =>
      db.transaction().execute(async (trx) => {
        if (options.synchronousCommit === false) await sql`SET LOCAL synchronous_commit = off`.execute(trx);
        return work({ ...tables(trx), executor: trx });
      }),
  };
}
