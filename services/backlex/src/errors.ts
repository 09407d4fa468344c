import { defineErrorCatalogue } from '@trustplane/kernel';

/**
 * The backlex error catalogue. The seed's `AppError` names `UNAUTHORIZED` and `VALIDATION` (422);
 * backlex serves only its health route so far, so the entries are those of failures the kernel
 * normalizes (README, "Errors"; test/errors.test.ts keeps both in agreement).
 */
export const errors = defineErrorCatalogue({
  VALIDATION: { status: 422, message: 'Request validation failed' },
  BAD_REQUEST: { status: 400, message: 'Bad request' },
  BAD_URL: { status: 400, message: 'The URL is not valid' },
  NOT_FOUND: { status: 404, message: 'Route not found' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request took too long to arrive' },
  BODY_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  URI_TOO_LONG: { status: 414, message: 'A path parameter is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  HEADERS_TOO_LARGE: { status: 431, message: 'Request headers are too large' },
  INTERNAL: { status: 500, message: 'Internal server error' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The database is unavailable' },
});
