import { defineErrorCatalogue, kernelError } from '@trustplane/kernel';

const withFieldErrors = (message: string, fieldErrors?: Record<string, string>) => ({
  message,
  details: fieldErrors ? { fieldErrors } : {},
});

/**
 * The kyc error catalogue: every code with the one status it is sent with, rendered as the seed's
 * `ApiError` by `http/errors.ts`. The README's "Errors" table lists them all, and
 * test/error-catalogue.test.ts keeps catalogue, seed and README in agreement.
 */
export const errors = defineErrorCatalogue({
  INVALID_JSON: kernelError('malformed_json'),
  VALIDATION_ERROR: {
    status: 400,
    answers: 'validation',
    describe: (message: string, fieldErrors?: Record<string, string>) =>
      withFieldErrors(message, fieldErrors),
  },
  INVALID_CREDENTIALS: { status: 401, message: 'Email or password is incorrect' },
  EMAIL_ALREADY_REGISTERED: {
    status: 409,
    describe: () =>
      withFieldErrors('An account with this email already exists', { email: 'Already registered' }),
  },
  UNAUTHENTICATED: { status: 401, message: 'Sign in to continue' },
  // The seed's dashboard envelope has no dedicated "forbidden" code; its 403 carries UNAUTHENTICATED.
  NOT_MEMBER: { status: 403, code: 'UNAUTHENTICATED', message: 'You are not a member of this organization' },
  CUSTOMER_ID_TAKEN: {
    status: 409,
    describe: () => withFieldErrors('This customer ID is already taken', { customerId: 'Already taken' }),
  },
  INTERNAL_ERROR: kernelError('internal'),
  SERVICE_UNAVAILABLE: { status: 503, message: 'The database is unavailable' },
  DATABASE_SCHEMA_MISSING: { status: 503, message: 'The database is not migrated' },
  API_KEY_MISSING: { status: 401, message: 'Send a secret key as `Authorization: Bearer sk_<env>_…`' },
  API_KEY_INVALID: { status: 401, message: 'API key is invalid or revoked' },
  // The seed's dashboard envelope has no API-key 404 code.
  API_KEY_NOT_FOUND: {
    status: 404,
    code: 'VERIFICATION_ASSET_NOT_FOUND',
    message: 'API key not found or already revoked',
  },
  VERIFICATION_SESSION_NOT_FOUND: { status: 404, message: 'Verification session not found' },
  VERIFICATION_ASSET_NOT_FOUND: { status: 404, message: 'Verification asset not found' },
  VERIFICATION_INVALID_TOKEN: { status: 401, message: 'Verification token is missing or invalid' },
  VERIFICATION_EXPIRED: { status: 410, message: 'Verification session has expired' },
  VERIFICATION_STORAGE_NOT_CONFIGURED: { status: 503, message: 'Object storage is unavailable' },
  LIVENESS_REQUEST_INVALID: {
    status: 400,
    describe: (message = 'Unknown or already used liveness requestId') =>
      withFieldErrors(message, { requestId: message }),
  },
  LIVENESS_SERVICE_UNAVAILABLE: { status: 503, message: 'The liveness validator could not be reached' },
  // Beyond the seed (README, "Errors"): the per-IP limits, and failures before any route runs.
  RATE_LIMITED: {
    status: 429,
    describe: (retryAfterSeconds: number, headers: Record<string, string>) => ({
      message: `Too many requests from this address; retry in ${retryAfterSeconds} s`,
      headers,
    }),
  },
  LIVENESS_ATTEMPTS_EXCEEDED: {
    status: 429,
    describe: (max: number) => ({
      message: `This verification session has used its ${max} liveness attempts; it goes to manual review`,
    }),
  },
  // The console's optimistic check (`expectedReviewStatus`): another operator decided first.
  REVIEW_CONFLICT: {
    status: 409,
    describe: (current: string) => ({
      message: `Another operator reviewed this verification while you were deciding: it is now ${current}. Reload it to see their decision before changing it.`,
      details: { fieldErrors: { expectedReviewStatus: `Now ${current}` } },
    }),
  },
  NOT_FOUND: kernelError('not_found'),
  BAD_REQUEST: { status: 400, message: 'Bad request', answers: 'client' },
  INVALID_URL: kernelError('bad_url'),
  PAYLOAD_TOO_LARGE: kernelError('body_too_large'),
  UNSUPPORTED_MEDIA_TYPE: kernelError('unsupported_media_type'),
  URI_TOO_LONG: kernelError('uri_too_long'),
  REQUEST_TIMEOUT: kernelError('request_timeout'),
  HEADERS_TOO_LARGE: kernelError('headers_too_large'),
});
