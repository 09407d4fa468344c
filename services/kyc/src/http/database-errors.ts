import type { FastifyInstance } from 'fastify';
import { kycError } from '../errors.js';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08006',
]);

/** The seed's 503 codes for a database that is down (`SERVICE_UNAVAILABLE`) or not migrated (`DATABASE_SCHEMA_MISSING`). */
export function databaseFailure(
  error: unknown,
): 'SERVICE_UNAVAILABLE' | 'DATABASE_SCHEMA_MISSING' | undefined {
  const failure = error as { code?: unknown; message?: unknown } | null;
  const code = typeof failure?.code === 'string' ? failure.code : undefined;
  if (code === '42P01' || code === '3F000') return 'DATABASE_SCHEMA_MISSING';
  if (code && CONNECTION_CODES.has(code)) return 'SERVICE_UNAVAILABLE';
  const message = typeof failure?.message === 'string' ? failure.message : '';
  if (
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      message,
    )
  ) {
    return 'SERVICE_UNAVAILABLE';
  }
  return undefined;
}

/**
 * Scope error handler: a database outage becomes the seed's 503 instead of a 500. Whatever it
 * rethrows goes on to the platform handler, which renders the envelope.
 */
export function mapDatabaseErrors(app: FastifyInstance): void {
  app.setErrorHandler((error) => {
    const code = databaseFailure(error);
    if (!code) throw error;
    throw kycError(
      code,
      code === 'DATABASE_SCHEMA_MISSING' ? 'The database is not migrated' : 'The database is unavailable',
    );
  });
}
