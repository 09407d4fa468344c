import { defineErrorCatalogue } from '@trustplane/kernel';

/**
 * The seed's error-code table as a catalogue: each entry with its numeric code and its one status,
 * rendered as `{ success: false, code, message, trace_id }` by `http/errors.ts`. The README's
 * "Errors" table lists them; test/error-catalogue.test.ts keeps both and the seed in agreement.
 */
export const errors = defineErrorCatalogue({
  BAD_REQUEST: { status: 400, code: 4000, message: 'Bad request' },
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
  NOT_FOUND: { status: 404, code: 4004, describe: (what: string) => ({ message: `${what} not found` }) },
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
  INTERNAL: { status: 500, code: 5000, message: 'Internal server error' },
  // The seed's 5000 is "usually transient (DB / Redis / RabbitMQ blip), safe to retry"; sent with
  // 503 when the database is down, so HTTP clients and proxies read it as retryable too.
  UNAVAILABLE: { status: 503, code: 5000, message: 'The database is unavailable' },
});
