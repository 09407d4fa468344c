import type { ErrorRenderer, NormalizedHttpError } from '@trustplane/kernel';

/** `ApiError` of the seed: `{ ok: false, error, message, fieldErrors? }`. */
export interface KycApiError {
  ok: false;
  error: string;
  message: string;
  fieldErrors?: Record<string, string>;
}

function codeFor(error: NormalizedHttpError): string {
  switch (error.kind) {
    case 'validation':
      return 'VALIDATION_ERROR';
    case 'malformed_json':
      return 'INVALID_JSON';
    case 'body_too_large':
      return 'PAYLOAD_TOO_LARGE';
    case 'unsupported_media_type':
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 'not_found':
      return 'NOT_FOUND';
    case 'method_not_allowed':
      return 'METHOD_NOT_ALLOWED';
    case 'bad_url':
      return 'INVALID_URL';
    case 'uri_too_long':
      return 'URI_TOO_LONG';
    case 'service':
      return error.error.code;
    case 'client':
      return 'BAD_REQUEST';
    case 'internal':
      return 'INTERNAL_ERROR';
  }
}

export const renderKycError: ErrorRenderer = (error) => {
  const body: KycApiError = { ok: false, error: codeFor(error), message: error.message };
  if (error.kind === 'validation') {
    body.fieldErrors = Object.fromEntries(
      error.issues.map((issue) => [issue.path.join('.') || issue.location, issue.message]),
    );
  }
  if (error.kind === 'service' && error.error.details.fieldErrors) {
    body.fieldErrors = error.error.details.fieldErrors as Record<string, string>;
  }
  return { statusCode: error.statusCode, body };
};
