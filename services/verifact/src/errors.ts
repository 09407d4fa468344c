import { ServiceError } from '@trustplane/kernel';

/**
 * The verifact error catalogue: every code with the one status it travels with. The seed names
 * only `MONTHLY_CLAIM_CAP_EXCEEDED`; the rest are ours (see the README's error table, kept in
 * sync by test/error-catalogue.test.ts). Rendered as the seed's `Error` by http/errors.ts.
 */
export const VERIFACT_ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  INVALID_JSON: 400,
  UNSUPPORTED_CONTENT_TYPE: 400,
  PAYLOAD_TOO_LARGE: 400,
  INVALID_URL: 400,
  INVALID_PHOTO: 400,
  PHOTO_FETCH_FAILED: 400,
  IMAGE_TOO_LARGE: 400,
  INVALID_TRANSITION: 400,
  CLAIM_NUMBER_TAKEN: 400,
  UNKNOWN_CLAIM: 400,
  NO_UPDATABLE_FIELDS: 400,
  UNAUTHORIZED: 401,
  MONTHLY_CLAIM_CAP_EXCEEDED: 402,
  INSUFFICIENT_SCOPE: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  EMAIL_TAKEN: 409,
  URI_TOO_LONG: 414,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  VERIFIER_BUSY: 429,
  INTERNAL_ERROR: 500,
  STORAGE_UNAVAILABLE: 502,
  KEY_STORE_UNREADABLE: 502,
  ATTESTATION_NOT_PROVISIONED: 503,
} as const;

export type VerifactErrorCode = keyof typeof VERIFACT_ERROR_STATUS;

/** The codes seed 002 itself names (its `Error.code` example); every other code is an extension (README). */
export const SEED_ERROR_CODES: readonly VerifactErrorCode[] = ['MONTHLY_CLAIM_CAP_EXCEEDED'];

function error(
  code: VerifactErrorCode,
  message: string,
  details: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): ServiceError {
  return new ServiceError(VERIFACT_ERROR_STATUS[code], code, message, details, headers);
}

export const errors = {
  validation: (message: string) => error('VALIDATION_ERROR', message),
  unsupportedContentType: (expected: string) =>
    error('UNSUPPORTED_CONTENT_TYPE', `Unsupported Content-Type; send ${expected}`),
  payloadTooLarge: (limit: number) => error('PAYLOAD_TOO_LARGE', `The photo exceeds ${limit} bytes`),
  invalidUrl: (message: string) => error('INVALID_URL', message),
  invalidPhoto: (message: string) => error('INVALID_PHOTO', message),
  photoFetchFailed: (message: string) => error('PHOTO_FETCH_FAILED', message),
  imageTooLarge: (maxPixels: number) =>
    error('IMAGE_TOO_LARGE', `The image has more than ${maxPixels} pixels`),
  invalidTransition: (from: string, to: string) =>
    error('INVALID_TRANSITION', `A claim cannot move from ${from} to ${to}`),
  claimNumberTaken: () => error('CLAIM_NUMBER_TAKEN', 'A claim with this claimNumber already exists'),
  unknownClaim: () => error('UNKNOWN_CLAIM', 'claimId does not name a claim of this tenant'),
  noUpdatableFields: (message = 'Provide at least one of name, district, surveyorLicense, active') =>
    error('NO_UPDATABLE_FIELDS', message),
  unauthorized: (message = 'Missing or invalid API key') => error('UNAUTHORIZED', message),
  capExceeded: (cap: number) =>
    error('MONTHLY_CLAIM_CAP_EXCEEDED', `Monthly claim cap of ${cap} reached — contact Verifact billing`, {
      cap,
    }),
  insufficientScope: (scope: string, anyOf?: readonly string[]) =>
    error(
      'INSUFFICIENT_SCOPE',
      anyOf && anyOf.length > 1
        ? `This API key lacks a required scope (one of ${anyOf.join(', ')})`
        : `This API key lacks the ${scope} scope`,
      { scope },
    ),
  notFound: (what: string) => error('NOT_FOUND', `${what} not found`),
  emailTaken: () => error('EMAIL_TAKEN', 'A user with this email already exists in this tenant'),
  unprocessable: (message: string) => error('UNPROCESSABLE', message),
  rateLimited: (retryAfterSeconds: number, headers: Record<string, string>) =>
    error('RATE_LIMITED', `Daily rate limit exceeded; retry in ${retryAfterSeconds} seconds`, {}, headers),
  verifierBusy: () =>
    error(
      'VERIFIER_BUSY',
      'Too many photos are being verified right now; retry shortly',
      {},
      { 'retry-after': '1' },
    ),
  storageUnavailable: () => error('STORAGE_UNAVAILABLE', 'Photo storage is unavailable'),
  keyStoreUnreadable: () => error('KEY_STORE_UNREADABLE', 'The attestation key store cannot be read'),
  attestationNotProvisioned: () =>
    error('ATTESTATION_NOT_PROVISIONED', 'No attestation key has been provisioned yet'),
};
