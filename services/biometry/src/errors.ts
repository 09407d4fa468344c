import { defineErrorCatalogue, kernelError } from '@trustplane/kernel';
import type { ValidationDetail } from './jobs/submit-jobs.js';

/**
 * The biometry error catalogue. The seed's envelope (FastAPI) carries no code: the names here are
 * ours, for logs and the README's "Errors" table; each fixes the status, and `http/errors.ts`
 * renders `{detail}` from it.
 */
export const errors = defineErrorCatalogue({
  validation_failed: { status: 422, message: 'Validation Error', answers: 'validation' },
  json_invalid: { status: 422, message: 'JSON decode error', answers: 'malformed_json' },
  // A body that is not JSON, or too large to read, is bad input like any other: 422 detail[].
  body_not_json: {
    status: 422,
    message: 'Request body must be application/json',
    answers: 'unsupported_media_type',
  },
  body_too_large: kernelError('body_too_large', { status: 422 }),
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
  not_found: { status: 404, message: 'Not Found', answers: 'not_found' },
  bad_request: { status: 400, message: 'Bad Request', answers: ['bad_url', 'client'] },
  uri_too_long: kernelError('uri_too_long'),
  request_timeout: kernelError('request_timeout'),
  headers_too_large: kernelError('headers_too_large'),
  service_unavailable: kernelError('database_unavailable'),
  internal: kernelError('internal'),
});
