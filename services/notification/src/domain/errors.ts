import {
  catalogueEntries,
  databaseFailure,
  defineErrorCatalogue,
  kernelError,
  type ErrorName,
  isServiceError,
  type ServiceError,
} from '@trustplane/kernel';

const say = (message: string) => ({ message });

/**
 * The service's one error catalogue (kernel `defineErrorCatalogue`). Each entry has one HTTP
 * status (the `/health` surface, canonical google.rpc mapping) and one gRPC code (`GRPC_CODES` in
 * grpc/grpc-server.ts); messages name the offending field (`recipients[1].address: …`) and never
 * carry a stack. The README's "Errors" table lists every entry (test/errors.test.ts).
 */
export const notificationErrors = defineErrorCatalogue({
  invalidArgument: {
    status: 400,
    code: 'invalid_argument',
    answers: ['validation', 'malformed_json', 'bad_url', 'client'],
    describe: (field: string, problem: string) => say(field ? `${field}: ${problem}` : problem),
  },
  notFound: { status: 404, code: 'not_found', describe: say, answers: 'not_found' },
  failedPrecondition: { status: 400, code: 'failed_precondition', describe: say },
  unauthenticated: {
    status: 401,
    code: 'unauthenticated',
    message: 'authorization: a valid bearer token is required',
  },
  deadlineExceeded: { status: 504, code: 'deadline_exceeded', describe: say },
  /** PostgreSQL or RabbitMQ cannot be reached: retry later. */
  unavailable: { status: 503, code: 'unavailable', describe: say, answers: 'database_unavailable' },
  internal: { status: 500, code: 'internal', message: 'internal error', answers: 'internal' },
  // The HTTP layer's own refusals (the kernel's kinds, in this catalogue's lower-case voice); gRPC
  // requests never raise them.
  payloadTooLarge: kernelError('body_too_large', {
    code: 'payload_too_large',
    message: 'request body is too large',
  }),
  unsupportedMediaType: kernelError('unsupported_media_type', {
    code: 'unsupported_media_type',
    message: 'unsupported content type',
  }),
  uriTooLong: kernelError('uri_too_long', { code: 'uri_too_long', message: 'a path parameter is too long' }),
  requestTimeout: kernelError('request_timeout', {
    code: 'request_timeout',
    message: 'the request did not arrive in time',
  }),
  headersTooLarge: kernelError('headers_too_large', {
    code: 'headers_too_large',
    message: 'request headers are too large',
  }),
});

export type NotificationErrorName = ErrorName<typeof notificationErrors>;

const ENTRIES = catalogueEntries(notificationErrors);

/** A catalogue error of this service (not another catalogue's ServiceError). */
export function isNotificationError(
  error: unknown,
): error is ServiceError & { entry: NotificationErrorName } {
  return isServiceError(error) && ENTRIES.has(error.entry);
}

/** Any thrown value as a catalogue error: database outages become `unavailable`, the rest `internal`. */
export function toNotificationError(error: unknown): ServiceError & { entry: NotificationErrorName } {
  if (isNotificationError(error)) return error;
  const failure = databaseFailure(error);
  if (failure === 'unreachable')
    return notificationErrors.unavailable('database unavailable; retry later') as never;
  if (failure === 'schema_missing')
    return notificationErrors.unavailable('database is not migrated; run `trustplane migrate`') as never;
  return notificationErrors.internal() as never;
}
