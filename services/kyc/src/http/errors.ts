import { defineErrorRenderer } from '@trustplane/kernel';
import { errors } from '../errors.js';

/** `ApiError` of the seed: `{ ok: false, error, message, fieldErrors? }`. */
export interface KycApiError {
  ok: false;
  error: string;
  message: string;
  fieldErrors?: Record<string, string>;
}

export const renderKycError = defineErrorRenderer({
  catalogue: errors,
  kinds: {
    validation: 'VALIDATION_ERROR',
    malformed_json: 'INVALID_JSON',
    body_too_large: 'PAYLOAD_TOO_LARGE',
    unsupported_media_type: 'UNSUPPORTED_MEDIA_TYPE',
    not_found: 'NOT_FOUND',
    bad_url: 'INVALID_URL',
    uri_too_long: 'URI_TOO_LONG',
    request_timeout: 'REQUEST_TIMEOUT',
    headers_too_large: 'HEADERS_TOO_LARGE',
    client: 'BAD_REQUEST',
    // The seed's two 503s: the database is down, or its tables are missing.
    database_unavailable: {
      names: ['SERVICE_UNAVAILABLE', 'DATABASE_SCHEMA_MISSING'],
      pick: (error) =>
        error.failure === 'schema_missing' ? 'DATABASE_SCHEMA_MISSING' : 'SERVICE_UNAVAILABLE',
    },
    internal: 'INTERNAL_ERROR',
  },
  body: ({ code, message, details, error }) => {
    const body: KycApiError = { ok: false, error: String(code), message };
    if (error.kind === 'validation') {
      body.fieldErrors = Object.fromEntries(
        error.issues.map((issue) => [issue.path.join('.') || issue.location, issue.message]),
      );
    }
    if (details.fieldErrors) body.fieldErrors = details.fieldErrors as Record<string, string>;
    return body;
  },
});
