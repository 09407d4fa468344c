import { pgErrorCode } from '@trustplane/kernel';

/**
 * The service's error catalogue. Each code maps to one gRPC status (see grpc/status.ts);
 * messages name the offending field (`recipients[1].address: …`) and never carry a stack.
 */
export type NotificationErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'failed_precondition'
  | 'already_exists'
  | 'unauthenticated'
  | 'unavailable'
  | 'deadline_exceeded'
  | 'resource_exhausted'
  | 'internal';

export class NotificationError extends Error {
  override readonly name = 'NotificationError';
  constructor(
    readonly code: NotificationErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const invalid = (field: string, problem: string) =>
  new NotificationError('invalid_argument', `${field}: ${problem}`);
export const notFound = (what: string) => new NotificationError('not_found', what);
export const precondition = (message: string) => new NotificationError('failed_precondition', message);

/** Connection-level PostgreSQL failures: the database is down or going away. */
const UNAVAILABLE_PG = /^(08|57P0[1-3]|53300)/;
const UNAVAILABLE_NET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = pgErrorCode(error) ?? (error as { code?: string } | undefined)?.code;
  if (typeof code === 'string' && (UNAVAILABLE_PG.test(code) || UNAVAILABLE_NET.has(code))) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|not currently accepting connections|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}

/** Any thrown value as a catalogue error: unknown failures become `internal` with a neutral message. */
export function toNotificationError(error: unknown): NotificationError {
  if (error instanceof NotificationError) return error;
  if (isDatabaseUnavailable(error))
    return new NotificationError('unavailable', 'database unavailable; retry later');
  return new NotificationError('internal', 'internal error');
}
