import { defineErrorCatalogue } from '@trustplane/kernel';
import type { ValidationDetail } from './jobs/submit-jobs.js';

/**
 * The biometry error catalogue. The seed's envelope (FastAPI) carries no code: the names here are
 * ours, for logs and the README's "Errors" table; each fixes the status, and `http/errors.ts`
 * renders `{detail}` from it.
 */
export const errors = defineErrorCatalogue({
  validation_failed: { status: 422, message: 'Validation Error' },
  json_invalid: { status: 422, message: 'JSON decode error' },
  body_not_json: { status: 422, message: 'Request body must be application/json' },
  body_too_large: { status: 422, message: 'Request body is too large' },
  // FastAPI's answer to an absent required header, given before the body is read.
  missing_api_key: {
    status: 422,
    describe: () => ({
      message: 'Field required',
      details: { detail: [{ loc: ['header', 'x-service-api-key'], msg: 'Field required', type: 'missing' }] },
    }),
  },
  invalid_image: {
    status: 422,
    describe: (detail: ValidationDetail[]) => ({ message: 'invalid image', details: { detail } }),
  },
  invalid_api_key: { status: 401, message: 'Invalid or revoked API key' },
  job_not_found: { status: 404, message: 'Job not found' },
  not_found: { status: 404, message: 'Not Found' },
  bad_request: { status: 400, message: 'Bad Request' },
  uri_too_long: { status: 414, message: 'A path parameter is too long' },
  request_timeout: { status: 408, message: 'The request took too long to arrive' },
  headers_too_large: { status: 431, message: 'Request headers are too large' },
  service_unavailable: { status: 503, message: 'The database is unavailable' },
  internal: { status: 500, message: 'Internal server error' },
});
