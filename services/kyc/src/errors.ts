import { ServiceError } from '@trustplane/kernel';

/**
 * The kyc error catalogue: every code the seed lists, with the one status it is sent with.
 * Domain code throws these; `http/errors.ts` renders them as `ApiError`.
 */
export const KYC_ERROR_STATUS = {
  INVALID_JSON: 400,
  VALIDATION_ERROR: 400,
  INVALID_CREDENTIALS: 401,
  EMAIL_ALREADY_REGISTERED: 409,
  UNAUTHENTICATED: 401,
  CUSTOMER_ID_TAKEN: 409,
  CREATE_FAILED: 500,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  SESSION_NOT_CONFIGURED: 503,
  DATABASE_SCHEMA_MISSING: 503,
  API_KEY_MISSING: 401,
  API_KEY_INVALID: 401,
  VERIFICATION_SESSION_NOT_FOUND: 404,
  VERIFICATION_ASSET_NOT_FOUND: 404,
  VERIFICATION_INVALID_TOKEN: 401,
  VERIFICATION_EXPIRED: 410,
  VERIFICATION_STORAGE_NOT_CONFIGURED: 503,
  LIVENESS_REQUEST_INVALID: 400,
  LIVENESS_SERVICE_UNAVAILABLE: 503,
} as const;

/**
 * Codes for situations the seed does not cover, in the same envelope (README, "Decisions where the
 * seed is silent"): `RATE_LIMITED` is the per-IP limit on signup, login, session creation, uploads
 * and liveness calls; `LIVENESS_ATTEMPTS_EXCEEDED` is a `liveness/init` beyond the attempts a
 * session allows.
 */
export const KYC_EXTENSION_ERROR_STATUS = {
  RATE_LIMITED: 429,
  LIVENESS_ATTEMPTS_EXCEEDED: 429,
} as const;

export type KycErrorCode = keyof typeof KYC_ERROR_STATUS | keyof typeof KYC_EXTENSION_ERROR_STATUS;

const STATUS_OF: Record<KycErrorCode, number> = { ...KYC_ERROR_STATUS, ...KYC_EXTENSION_ERROR_STATUS };

export function kycError(
  code: KycErrorCode,
  message: string,
  fieldErrors?: Record<string, string>,
  status: number = STATUS_OF[code],
  headers: Record<string, string> = {},
): ServiceError {
  return new ServiceError(status, code, message, fieldErrors ? { fieldErrors } : {}, headers);
}

export const errors = {
  validation: (message: string, fieldErrors?: Record<string, string>) =>
    kycError('VALIDATION_ERROR', message, fieldErrors),
  invalidCredentials: () => kycError('INVALID_CREDENTIALS', 'Email or password is incorrect'),
  emailTaken: () =>
    kycError('EMAIL_ALREADY_REGISTERED', 'An account with this email already exists', {
      email: 'Already registered',
    }),
  unauthenticated: () => kycError('UNAUTHENTICATED', 'Sign in to continue'),
  // The seed's dashboard envelope has no dedicated "forbidden" code; 403 carries UNAUTHENTICATED.
  notMember: () => kycError('UNAUTHENTICATED', 'You are not a member of this organization', undefined, 403),
  customerIdTaken: () =>
    kycError('CUSTOMER_ID_TAKEN', 'This customer ID is already taken', { customerId: 'Already taken' }),
  apiKeyMissing: () => kycError('API_KEY_MISSING', 'Send a secret key as `Authorization: Bearer sk_<env>_…`'),
  apiKeyInvalid: (message = 'API key is invalid or revoked') => kycError('API_KEY_INVALID', message),
  // No API-key-specific 404 code exists in the seed's dashboard envelope.
  apiKeyNotFound: () =>
    kycError('VERIFICATION_ASSET_NOT_FOUND', 'API key not found or already revoked', undefined, 404),
  sessionNotFound: () => kycError('VERIFICATION_SESSION_NOT_FOUND', 'Verification session not found'),
  assetNotFound: () => kycError('VERIFICATION_ASSET_NOT_FOUND', 'Verification asset not found'),
  assetPurged: () =>
    kycError(
      'VERIFICATION_ASSET_NOT_FOUND',
      "The document was deleted when the session's retention period ended",
    ),
  invalidToken: () => kycError('VERIFICATION_INVALID_TOKEN', 'Verification token is missing or invalid'),
  expired: () => kycError('VERIFICATION_EXPIRED', 'Verification session has expired'),
  storageUnavailable: () => kycError('VERIFICATION_STORAGE_NOT_CONFIGURED', 'Object storage is unavailable'),
  livenessRequestInvalid: (message = 'Unknown or already used liveness requestId') =>
    kycError('LIVENESS_REQUEST_INVALID', message, { requestId: message }),
  rateLimited: (retryAfterSeconds: number, headers: Record<string, string>) =>
    kycError(
      'RATE_LIMITED',
      `Too many requests from this address; retry in ${retryAfterSeconds} s`,
      undefined,
      429,
      headers,
    ),
  livenessAttemptsExceeded: (max: number) =>
    kycError(
      'LIVENESS_ATTEMPTS_EXCEEDED',
      `This verification session has used its ${max} liveness attempts; it goes to manual review`,
      undefined,
      429,
    ),
  livenessUnavailable: () =>
    kycError('LIVENESS_SERVICE_UNAVAILABLE', 'The liveness validator could not be reached'),
};
