import { defineErrorRenderer } from '@trustplane/kernel';
import { errors } from '../errors.js';

/** The seed's `AppError`: `{ error: { code, message, details? } }`; validation is 422 `VALIDATION`. */
export const renderBacklexError = defineErrorRenderer({
  catalogue: errors,
  kinds: {
    validation: 'VALIDATION',
    malformed_json: 'BAD_REQUEST',
    body_too_large: 'BODY_TOO_LARGE',
    unsupported_media_type: 'UNSUPPORTED_MEDIA_TYPE',
    not_found: 'NOT_FOUND',
    bad_url: 'BAD_URL',
    uri_too_long: 'URI_TOO_LONG',
    request_timeout: 'REQUEST_TIMEOUT',
    headers_too_large: 'HEADERS_TOO_LARGE',
    client: 'BAD_REQUEST',
    database_unavailable: 'SERVICE_UNAVAILABLE',
    internal: 'INTERNAL',
  },
  body: ({ code, message, details, error }) => {
    const body: { code: string | number; message: string; details?: unknown } = { code, message };
    if (error.kind === 'validation') {
      body.details = error.issues.map((issue) => ({
        path: issue.path.join('.'),
        location: issue.location,
        message: issue.message,
      }));
    } else if (error.kind === 'service') {
      body.details = details.details ?? null;
    }
    return { error: body };
  },
});
