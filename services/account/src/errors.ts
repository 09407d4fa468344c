import { ServiceError } from '@trustplane/kernel';

/**
 * The seed's error-code table, in one place: every code with the HTTP status it travels with.
 * Domain code throws through these factories so status and code never disagree.
 */
export const ERROR_CODES = {
  badRequest: { code: 4000, status: 400 },
  validation: { code: 4002, status: 422 },
  unauthorized: { code: 4003, status: 401 },
  notFound: { code: 4004, status: 404 },
  rateLimited: { code: 4008, status: 429 },
  csrf: { code: 4030, status: 403 },
  internal: { code: 5000, status: 500 },
} as const;

function error(
  kind: keyof typeof ERROR_CODES,
  message: string,
  details?: Record<string, unknown>,
  headers?: Record<string, string>,
) {
  const { code, status } = ERROR_CODES[kind];
  return new ServiceError(status, String(code), message, details, headers);
}

export const errors = {
  badRequest: (message: string) => error('badRequest', message),
  /** A field-level rule failed; the message names the field (`email: invalid format`). */
  invalid: (field: string, message: string) => error('validation', `${field}: ${message}`),
  unauthorized: (message = 'Authentication required') => error('unauthorized', message),
  forbidden: (permission: string) => error('unauthorized', `Missing permission: ${permission}`),
  /** A grant beyond what the granter holds: the seed files a missing permission under 401/4003. */
  grantBeyond: (message: string) => error('unauthorized', message),
  notFound: (what: string) => error('notFound', `${what} not found`),
  rateLimited: (retryAfter: number, limit: number, windowSeconds: number) =>
    error(
      'rateLimited',
      `Rate limit exceeded. Try again in ${retryAfter} seconds.`,
      { retry_after: retryAfter, limit, window: `${windowSeconds}s` },
      { 'retry-after': String(retryAfter) },
    ),
  csrf: () => error('csrf', 'Invalid CSRF token'),
};
