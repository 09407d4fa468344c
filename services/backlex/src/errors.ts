import { defineErrorCatalogue, kernelError } from '@trustplane/kernel';

/**
 * The backlex error catalogue. The seed's `AppError` names `UNAUTHORIZED` and `VALIDATION` (422);
 * backlex serves only its health route so far, so the entries are those of failures the kernel
 * normalizes (README, "Errors"; test/errors.test.ts keeps both in agreement).
 */
export const errors = defineErrorCatalogue({
  VALIDATION: { status: 422, message: 'Request validation failed', answers: 'validation' },
  BAD_REQUEST: { status: 400, message: 'Bad request', answers: ['malformed_json', 'client'] },
  BAD_URL: kernelError('bad_url'),
  NOT_FOUND: kernelError('not_found'),
  REQUEST_TIMEOUT: kernelError('request_timeout'),
  BODY_TOO_LARGE: kernelError('body_too_large'),
  URI_TOO_LONG: kernelError('uri_too_long'),
  UNSUPPORTED_MEDIA_TYPE: kernelError('unsupported_media_type'),
  HEADERS_TOO_LARGE: kernelError('headers_too_large'),
  INTERNAL: kernelError('internal'),
  SERVICE_UNAVAILABLE: kernelError('database_unavailable'),
  // Events out (webhooks, integrations, notifications).
  INVALID_FIELDS: {
    status: 422,
    code: 'VALIDATION',
    describe: (issues: readonly { path: string; message: string }[]) => ({
      message: 'Request validation failed',
      details: { details: issues.map((issue) => ({ ...issue, location: 'body' })) },
    }),
  },
  RESOURCE_NOT_FOUND: { status: 404, code: 'NOT_FOUND', message: 'Not found' },
  WEBHOOK_MANAGED: {
    status: 409,
    message:
      "This webhook is the organization's webhookUrl; remove it with PATCH /org/{slug} and webhookUrl: null",
  },
  WEBHOOK_TEST_RATE_LIMITED: {
    status: 429,
    code: 'RATE_LIMITED',
    describe: (retryAfterSeconds: number) => ({
      message: 'Too many test deliveries; try again later',
      headers: { 'Retry-After': String(retryAfterSeconds) },
    }),
  },
});
