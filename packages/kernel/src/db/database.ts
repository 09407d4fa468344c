import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { tagConnectionFailures } from './database-failure.js';

// BIGINT and NUMERIC arrive as strings by default; counts and sizes in this platform fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

const SCHEMA_NAME = /^[a-z][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  return schema;
}

export interface Database<DB> {
  schema: string;
  pool: pg.Pool;
  kysely: Kysely<DB>;
  /** Runs `work` in one transaction; rolled back if it throws. Hooks added with `afterCommit` run after its commit. */
  transaction<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string;
  /** The service's own schema; it is first on the search path of every connection. */
  schema: string;
  max?: number;
  applicationName?: string;
}

export function createPool(options: DatabaseOptions): pg.Pool {
  const schema = assertSchemaName(options.schema);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? `trustplane-${schema}`,
    options: `-c search_path=${schema},public`,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => undefined);
  // Nor a checked-out one between two queries (a transaction awaiting other work while the server
  // goes away): the pool listens only to idle clients, and an 'error' nobody listens to is thrown.
  // The connection's loss still reaches its holder: its next query rejects.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  tagConnectionFailures(pool);
  return pool;
}

/** The hooks waiting for the commit of each transaction `Database.transaction` runs. */
const commitHooks = new WeakMap<object, Array<() => void>>();

/**
 * Runs `hook` once `executor`'s work is committed: at once for a pool (each statement commits by
 * itself), after the commit for a transaction of `Database.transaction` (never if it rolls back).
 * For in-memory effects that must not see a state before it is visible to other connections,
 * such as marking something for a background sampler that reads PostgreSQL.
 */
export function afterCommit(executor: object, hook: () => void): void {
  const hooks = commitHooks.get(executor);
  if (hooks) hooks.push(hook);
  else hook();
}

export function createDatabase<DB>(options: DatabaseOptions): Database<DB> {
  const pool = createPool(options);
  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    schema: options.schema,
    pool,
    kysely,
    async transaction(work) {
      const hooks: Array<() => void> = [];
      const result = await kysely.transaction().execute((trx) => {
        commitHooks.set(trx, hooks);
        return work(trx);
      });
      for (const hook of hooks) hook();
      return result;
    },
    async close() {
      if (closed) return;
      closed = true;
      await kysely.destroy();
    },
  };
}

/** PostgreSQL error codes the repositories map to domain errors. */
export const PG_ERROR = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  notNullViolation: '23502',
  exclusionViolation: '23P01',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  raiseException: 'P0001',
} as const;

export function pgErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function pgConstraint(error: unknown): string | undefined {
  const constraint = (error as { constraint?: unknown } | null)?.constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}

/**
 * True when `error` is PostgreSQL's violation `code`, of the one named `constraint` when given:
 * how a repository maps a constraint it relies on to the service's error.
 */
export function isPgViolation(error: unknown, code: keyof typeof PG_ERROR, constraint?: string): boolean {
  if (pgErrorCode(error) !== PG_ERROR[code]) return false;
  return constraint === undefined || pgConstraint(error) === constraint;
}

/** A unique violation, of `constraint` when given (`isPgViolation(error, 'uniqueViolation', …)`). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  return isPgViolation(error, 'uniqueViolation', constraint);
}
