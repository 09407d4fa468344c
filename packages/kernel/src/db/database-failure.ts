import type pg from 'pg';

/**
 * Why the database could not serve a request: it cannot be reached (down, restarting, refusing
 * connections, the connection dropped) or it answers but the service's tables are missing.
 */
export type DatabaseFailure = 'unreachable' | 'schema_missing';

const CONNECTION_FAILURE = Symbol('trustplane.databaseConnectionFailure');

const SCHEMA_MISSING_STATES = new Set([
  '42P01', // undefined_table
  '3F000', // invalid_schema_name
]);

const UNREACHABLE_STATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

// Raised by pg / pg-pool themselves when a connection drops or cannot be had in time.
const CONNECTION_LOST =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * Tags every error a pool hands out while *connecting* (refused, unreachable host, pool timeout,
 * authentication), so it is told apart from the same socket codes raised by other clients
 * (object storage, webhooks) that must not read as a database outage.
 */
export function tagConnectionFailures(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool) as (
    callback?: (error: Error | undefined, client?: unknown, done?: unknown) => void,
  ) => Promise<unknown> | undefined;
  const tag = (error: unknown) => {
    if (error !== null && typeof error === 'object' && !Object.hasOwn(error, CONNECTION_FAILURE)) {
      Object.defineProperty(error, CONNECTION_FAILURE, { value: true });
    }
    return error;
  };
  // pg-pool calls `this.connect(callback)` for `pool.query`; Kysely calls `pool.connect()`.
  (pool as { connect: unknown }).connect = (
    callback?: (error: Error | undefined, client?: unknown, done?: unknown) => void,
  ) => {
    if (callback)
      return connect((error, client, done) => callback(tag(error) as Error | undefined, client, done));
    return (connect() as Promise<unknown>).catch((error: unknown) => {
      throw tag(error);
    });
  };
}

/** A PostgreSQL `ErrorResponse` (pg's `DatabaseError`): SQLSTATE in `code`, and a `severity`. */
function sqlState(error: object): string | undefined {
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof code === 'string' && typeof severity === 'string' && /^[0-9A-Z]{5}$/.test(code)
    ? code
    : undefined;
}

function classify(error: object): DatabaseFailure | undefined {
  if (Object.hasOwn(error, CONNECTION_FAILURE)) return 'unreachable';
  const state = sqlState(error);
  if (state) {
    if (SCHEMA_MISSING_STATES.has(state)) return 'schema_missing';
    // Class 08: connection exception.
    if (UNREACHABLE_STATES.has(state) || state.startsWith('08')) return 'unreachable';
    return undefined;
  }
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && CONNECTION_LOST.test(message) ? 'unreachable' : undefined;
}

/**
 * Whether `error` (or what caused it) says the database is unavailable. Anything else, constraint
 * violations included, is not: those are the repositories' to map.
 */
export function databaseFailure(error: unknown, depth = 0): DatabaseFailure | undefined {
  if (error === null || typeof error !== 'object' || depth > 4) return undefined;
  const failure = classify(error);
  if (failure) return failure;
  const { cause, errors } = error as { cause?: unknown; errors?: unknown };
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const innerFailure = databaseFailure(inner, depth + 1);
      if (innerFailure) return innerFailure;
    }
  }
  return databaseFailure(cause, depth + 1);
}
