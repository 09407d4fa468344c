import { defineErrorCatalogue, kernelError } from '@trustplane/kernel';

/**
 * The seed's error-code table as a catalogue: each entry with its numeric code and its one status,
 * rendered as `{ success: false, code, message, trace_id }` by `http/errors.ts`. The README's
 * "Errors" table lists them; test/error-catalogue.test.ts keeps both and the seed in agreement.
 */
export const errors = defineErrorCatalogue({
  /** Only the table's statuses are sent: every other client error, and the kernel's refusals, are 400/4000. */
  BAD_REQUEST: {
    status: 400,
    code: 4000,
    message: 'Bad request',
    answers: [
      'malformed_json',
      'unsupported_media_type',
      'body_too_large',
      'bad_url',
      'uri_too_long',
      'request_timeout',
      'headers_too_large',
      'client',
    ],
  },
  /** A field-level rule failed; the message names the field (`email: invalid format`). */
  VALIDATION: {
    status: 422,
    code: 4002,
    describe: (field: string, message: string) => ({ message: `${field}: ${message}` }),
  },
  UNAUTHORIZED: { status: 401, code: 4003, message: 'Authentication required' },
  /** The seed files a missing permission under 401/4003 (its 403 is CSRF only). */
  MISSING_PERMISSION: {
    status: 401,
    code: 4003,
    describe: (permission: string) => ({ message: `Missing permission: ${permission}` }),
  },
  NOT_FOUND: {
    status: 404,
    code: 4004,
    answers: 'not_found',
    describe: (what: string) => ({ message: `${what} not found` }),
  },
  RATE_LIMITED: {
    status: 429,
    code: 4008,
    describe: (retryAfter: number, limit: number, windowSeconds: number) => ({
      message: `Rate limit exceeded. Try again in ${retryAfter} seconds.`,
      details: { retry_after: retryAfter, limit, window: `${windowSeconds}s` },
      headers: { 'retry-after': String(retryAfter) },
    }),
  },
  CSRF: { status: 403, code: 4030, message: 'Invalid CSRF token' },
  INTERNAL: kernelError('internal', { code: 5000 }),
  // The seed's 5000 is "usually transient (DB / Redis / RabbitMQ blip), safe to retry"; sent with
  // 503 when the database is down, so HTTP clients and proxies read it as retryable too.
  UNAVAILABLE: kernelError('database_unavailable', { code: 5000 }),
});
