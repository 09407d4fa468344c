import { defineErrorRenderer, type RequestLocation } from '@trustplane/kernel';
import { errors } from '../errors.js';

/** FastAPI's `loc` vocabulary for where a value came from. */
const LOCATION: Record<RequestLocation, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/**
 * FastAPI-compatible envelope of the seed: validation failures are 422
 * `{detail: [{loc, msg, type}]}`; every other error is `{detail: "message"}`.
 */
export const renderBiometryError = defineErrorRenderer({
  catalogue: errors,
  kinds: {
    validation: 'validation_failed',
    malformed_json: 'json_invalid',
    // A body that is not JSON, or too large to read, is bad input like any other: 422 detail[].
    unsupported_media_type: 'body_not_json',
    body_too_large: 'body_too_large',
    not_found: 'not_found',
    bad_url: 'bad_request',
    uri_too_long: 'uri_too_long',
    request_timeout: 'request_timeout',
    headers_too_large: 'headers_too_large',
    client: 'bad_request',
    database_unavailable: 'service_unavailable',
    internal: 'internal',
  },
  body: ({ message, details, error }) => {
    switch (error.kind) {
      case 'validation':
        // The kernel already reports an absent value as `missing` / "Field required", as FastAPI does.
        return {
          detail: error.issues.map((issue) => ({
            loc: [LOCATION[issue.location], ...issue.path],
            msg: issue.message,
            type: issue.code,
          })),
        };
      case 'malformed_json':
        return { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] };
      case 'unsupported_media_type':
        return {
          detail: [
            { loc: ['body'], msg: 'Request body must be application/json', type: 'model_attributes_type' },
          ],
        };
      case 'body_too_large':
        return { detail: [{ loc: ['body'], msg: error.message, type: 'too_large' }] };
      case 'not_found':
        return { detail: 'Not Found' };
      default:
        return { detail: details.detail ?? message };
    }
  },
});
