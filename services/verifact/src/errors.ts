import { defineErrorCatalogue, kernelError } from '@trustplane/kernel';

/**
 * The verifact error catalogue: every entry with its code and the one status it travels with. The
 * seed names only `MONTHLY_CLAIM_CAP_EXCEEDED`; the rest are ours (the README's "Error codes"
 * table, kept in agreement by test/errors.test.ts). Rendered as the seed's `Error` by http/errors.ts.
 */
export const errors = defineErrorCatalogue({
  validation: {
    status: 400,
    code: 'VALIDATION_ERROR',
    message: 'The request is not valid',
    answers: 'validation',
  },
  invalidJson: kernelError('malformed_json', { code: 'INVALID_JSON' }),
  unsupportedContentType: {
    status: 400,
    code: 'UNSUPPORTED_CONTENT_TYPE',
    answers: 'unsupported_media_type',
    describe: (expected: string) => ({ message: `Unsupported Content-Type; send ${expected}` }),
  },
  payloadTooLarge: {
    status: 400,
    code: 'PAYLOAD_TOO_LARGE',
    answers: 'body_too_large',
    describe: (limit: number) => ({ message: `The photo exceeds ${limit} bytes` }),
  },
  invalidUrl: kernelError('bad_url', { code: 'INVALID_URL' }),
  invalidPhoto: { status: 400, code: 'INVALID_PHOTO', message: 'The photo is not valid' },
  photoFetchFailed: { status: 400, code: 'PHOTO_FETCH_FAILED', message: 'The photo could not be fetched' },
  imageTooLarge: {
    status: 400,
    code: 'IMAGE_TOO_LARGE',
    describe: (maxPixels: number) => ({ message: `The image has more than ${maxPixels} pixels` }),
  },
  invalidTransition: {
    status: 400,
    code: 'INVALID_TRANSITION',
    describe: (from: string, to: string) => ({ message: `A claim cannot move from ${from} to ${to}` }),
  },
  claimNumberTaken: {
    status: 400,
    code: 'CLAIM_NUMBER_TAKEN',
    message: 'A claim with this claimNumber already exists',
  },
  unknownClaim: {
    status: 400,
    code: 'UNKNOWN_CLAIM',
    message: 'claimId does not name a claim of this tenant',
  },
  noUpdatableFields: {
    status: 400,
    code: 'NO_UPDATABLE_FIELDS',
    message: 'Provide at least one of name, district, surveyorLicense, active',
  },
  unauthorized: { status: 401, code: 'UNAUTHORIZED', message: 'Missing or invalid API key' },
  capExceeded: {
    status: 402,
    code: 'MONTHLY_CLAIM_CAP_EXCEEDED',
    describe: (cap: number) => ({
      message: `Monthly claim cap of ${cap} reached — contact Verifact billing`,
      details: { cap },
    }),
  },
  insufficientScope: {
    status: 403,
    code: 'INSUFFICIENT_SCOPE',
    describe: (scope: string, anyOf?: readonly string[]) => ({
      message:
        anyOf && anyOf.length > 1
          ? `This API key lacks a required scope (one of ${anyOf.join(', ')})`
          : `This API key lacks the ${scope} scope`,
      details: { scope },
    }),
  },
  notFound: {
    status: 404,
    code: 'NOT_FOUND',
    answers: 'not_found',
    describe: (what: string) => ({ message: `${what} not found` }),
  },
  requestTimeout: kernelError('request_timeout', { code: 'REQUEST_TIMEOUT' }),
  emailTaken: {
    status: 409,
    code: 'EMAIL_TAKEN',
    message: 'A user with this email already exists in this tenant',
  },
  uriTooLong: kernelError('uri_too_long', { code: 'URI_TOO_LONG' }),
  unprocessable: { status: 422, code: 'UNPROCESSABLE', message: 'The request cannot be processed' },
  rateLimited: {
    status: 429,
    code: 'RATE_LIMITED',
    describe: (retryAfterSeconds: number, headers: Record<string, string>) => ({
      message: `Daily rate limit exceeded; retry in ${retryAfterSeconds} seconds`,
      headers,
    }),
  },
  verifierBusy: {
    status: 429,
    code: 'VERIFIER_BUSY',
    describe: () => ({
      message: 'Too many photos are being verified right now; retry shortly',
      headers: { 'retry-after': '1' },
    }),
  },
  headersTooLarge: kernelError('headers_too_large', { code: 'HEADERS_TOO_LARGE' }),
  internal: kernelError('internal', { code: 'INTERNAL_ERROR' }),
  storageUnavailable: { status: 502, code: 'STORAGE_UNAVAILABLE', message: 'Photo storage is unavailable' },
  keyStoreUnreadable: {
    status: 502,
    code: 'KEY_STORE_UNREADABLE',
    message: 'The attestation key store cannot be read',
  },
  attestationNotProvisioned: {
    status: 503,
    code: 'ATTESTATION_NOT_PROVISIONED',
    message: 'No attestation key has been provisioned yet',
  },
  serviceUnavailable: kernelError('database_unavailable', { code: 'SERVICE_UNAVAILABLE' }),
});
