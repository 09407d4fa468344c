import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely, Transaction } from 'kysely';
import type { BacklexDatabase } from '../db/tables.js';
import { inSavepoint } from '../db/transaction-steps.js';

type Trx = Transaction<BacklexDatabase>;

/** A change a plugin made to a membership, noted where backlex's callback saw it (audit after). */
export interface PendingJoin {
  organizationId: string;
  userId: string;
  email: string;
  providerId: string;
}

interface Scope {
  trx: Trx;
  /** SSO just-in-time members announced by the plugin's `getRole`, recorded before commit. */
  joins: PendingJoin[];
}

/**
 * The Kysely better-auth is given, made to join backlex's transactions (README, "Audit"):
 *
 * - `run(trx, work)`: everything better-auth (and its plugins) write through its adapter while
 *   `work` runs goes through `trx`, backlex's own transaction — so `auth.api.createApiKey`, the SSO
 *   plugin's provider writes, the SCIM token mint and the SSO callback's just-in-time member commit
 *   or roll back together with backlex's audit row and event. A plugin's own `transaction()` inside
 *   it becomes a savepoint, so the plugin's all-or-nothing units keep their meaning.
 * - Outside `run`, a plugin's own `transaction()` (the SCIM server's writes) is a real transaction
 *   whose Kysely `Transaction` backlex's callbacks can reach with `current()`: the SCIM projection
 *   audits its member changes there, in the plugin's transaction.
 *
 * Any other property is the current transaction's (inside one) or the service Kysely's.
 */
export function createAuthTransactions(db: Kysely<BacklexDatabase>) {
  const storage = new AsyncLocalStorage<Scope>();

  function transactionBuilder() {
    const scope = storage.getStore();
    if (!scope) {
      // better-auth's adapter only ever calls `transaction().execute(work)`.
      return {
        execute<T>(work: (trx: Trx) => Promise<T>): Promise<T> {
          return db.transaction().execute((trx) => storage.run({ trx, joins: [] }, () => work(trx)));
        },
      };
    }
    // Inside a transaction already: a savepoint in it.
    const nested = {
      execute<T>(work: (trx: Trx) => Promise<T>): Promise<T> {
        return inSavepoint(scope.trx, () => work(scope.trx));
      },
    };
    return nested;
  }

  const kysely = new Proxy(db, {
    get(target, property) {
      if (property === 'transaction') return transactionBuilder;
      const scope = storage.getStore();
      const source = (scope?.trx ?? target) as unknown as Record<PropertyKey, unknown>;
      const value = source[property];
      // Methods are bound to their object; `fn` (a callable module with `count`, `sum`… on it) is not.
      return typeof value === 'function' && property !== 'fn'
        ? (value as (...args: unknown[]) => unknown).bind(source)
        : value;
    },
  });

  return {
    /** What `createBacklexAuth` is given instead of the service Kysely. */
    kysely: kysely as Kysely<BacklexDatabase>,
    /**
     * Runs `work` with every better-auth write going through `trx`; SSO just-in-time members the
     * plugin announced meanwhile are pushed onto `joins` (when given), for the caller to audit in `trx`.
     */
    run<T>(trx: Trx, work: () => Promise<T>, joins: PendingJoin[] = []): Promise<T> {
      return storage.run({ trx, joins }, work);
    },
    /** The transaction better-auth is writing in right now (a plugin's own, or one of `run`). */
    current(): Trx | undefined {
      return storage.getStore()?.trx;
    },
    /** Notes an SSO just-in-time member about to be created in the current transaction. */
    noteJoin(join: PendingJoin): boolean {
      const scope = storage.getStore();
      if (!scope) return false;
      scope.joins.push(join);
      return true;
    },
  };
}

export type AuthTransactions = ReturnType<typeof createAuthTransactions>;
