import { defineErrorRenderer } from '@trustplane/kernel';
import { notificationErrors } from '../domain/errors.js';

/**
 * The HTTP surface (`/health`, `/metrics`, `/openapi.json`) answers errors from the same catalogue
 * as gRPC, as `{ error: code, message }` (the seed documents no HTTP error body; README "Errors").
 */
export const renderNotificationError = defineErrorRenderer({
  catalogue: notificationErrors,
  kinds: {
    validation: 'invalidArgument',
    malformed_json: 'invalidArgument',
    body_too_large: 'payloadTooLarge',
    unsupported_media_type: 'unsupportedMediaType',
    not_found: 'notFound',
    bad_url: 'invalidArgument',
    uri_too_long: 'uriTooLong',
    request_timeout: 'requestTimeout',
    headers_too_large: 'headersTooLarge',
    client: 'invalidArgument',
    database_unavailable: 'unavailable',
    internal: 'internal',
  },
  body: ({ code, message }) => ({ error: code, message }),
});
