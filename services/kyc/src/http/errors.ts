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
    // The seed's two 503s: the database is down, or its tables are missing.
    database_unavailable: {
      names: ['SERVICE_UNAVAILABLE', 'DATABASE_SCHEMA_MISSING'],
      pick: (error) =>
        error.failure === 'schema_missing' ? 'DATABASE_SCHEMA_MISSING' : 'SERVICE_UNAVAILABLE',
    },
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
