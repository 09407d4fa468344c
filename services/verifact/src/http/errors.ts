import type { ErrorRenderer, NormalizedHttpError } from '@trustplane/kernel';
import { VERIFACT_ERROR_STATUS, type VerifactErrorCode } from '../errors.js';

function codeFor(error: NormalizedHttpError): VerifactErrorCode {
  switch (error.kind) {
    case 'validation':
      return 'VALIDATION_ERROR';
    case 'malformed_json':
      return 'INVALID_JSON';
    case 'body_too_large':
      return 'PAYLOAD_TOO_LARGE';
    case 'unsupported_media_type':
      return 'UNSUPPORTED_CONTENT_TYPE';
    case 'not_found':
      return 'NOT_FOUND';
    case 'method_not_allowed':
      return 'METHOD_NOT_ALLOWED';
    case 'bad_url':
      return 'INVALID_URL';
    case 'uri_too_long':
      return 'URI_TOO_LONG';
    case 'service':
      // Every ServiceError of this service comes from errors.ts; anything else would be a bug.
      return error.error.code in VERIFACT_ERROR_STATUS
        ? (error.error.code as VerifactErrorCode)
        : 'INTERNAL_ERROR';
    case 'client':
      // Errors Node or a plugin raise with their own status: only the catalogue's codes leave.
      switch (error.statusCode) {
        case 408:
          return 'REQUEST_TIMEOUT';
        case 413:
          return 'PAYLOAD_TOO_LARGE';
        case 415:
          return 'UNSUPPORTED_CONTENT_TYPE';
        case 431:
          return 'HEADERS_TOO_LARGE';
        default:
          return 'VALIDATION_ERROR';
      }
    case 'internal':
      return 'INTERNAL_ERROR';
  }
}

/**
 * The seed's `Error`: `{ error, code, scope? }` (402 adds `cap`). Oversized bodies and unknown
 * Content-Types are 400s here: the seed lists no 413 or 415 (see the README).
 */
export const renderVerifactError: ErrorRenderer = (error) => {
  const code = codeFor(error);
  // The status is always the catalogue's: a code never travels with two statuses.
  const statusCode = VERIFACT_ERROR_STATUS[code];
  const body: Record<string, unknown> = { error: error.message, code };
  if (error.kind === 'service') {
    if (typeof error.error.details.scope === 'string') body.scope = error.error.details.scope;
    if (typeof error.error.details.cap === 'number') body.cap = error.error.details.cap;
  }
  return { statusCode, body };
};
