import { defineErrorCatalogue } from '@trustplane/kernel';

/**
 * The verifact error catalogue: every entry with its code and the one status it travels with. The
 * seed names only `MONTHLY_CLAIM_CAP_EXCEEDED`; the rest are ours (the README's "Error codes"
 * table, kept in agreement by test/errors.test.ts). Rendered as the seed's `Error` by http/errors.ts.
 */
export const errors = defineErrorCatalogue({
  validation: { status: 400, code: 'VALIDATION_ERROR', message: 'The request is not valid' },
  invalidJson: { status: 400, code: 'INVALID_JSON', message: 'Request body is not valid JSON' },
  unsupportedContentType: {
    status: 400,
    code: 'UNSUPPORTED_CONTENT_TYPE',
    describe: (expected: string) => ({ message: `Unsupported Content-Type; send ${expected}` }),
  },
  payloadTooLarge: {
    status: 400,
    code: 'PAYLOAD_TOO_LARGE',
    describe: (limit: number) => ({ message: `The photo exceeds ${limit} bytes` }),
  },
  invalidUrl: { status: 400, code: 'INVALID_URL', message: 'The URL is not valid' },
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
    describe: (what: string) => ({ message: `${what} not found` }),
  },
  requestTimeout: { status: 408, code: 'REQUEST_TIMEOUT', message: 'The request took too long to arrive' },
  emailTaken: {
    status: 409,
    code: 'EMAIL_TAKEN',
    message: 'A user with this email already exists in this tenant',
  },
  uriTooLong: { status: 414, code: 'URI_TOO_LONG', message: 'A path parameter is too long' },
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
  headersTooLarge: { status: 431, code: 'HEADERS_TOO_LARGE', message: 'Request headers are too large' },
  internal: { status: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' },
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
  serviceUnavailable: { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'The database is unavailable' },
});
